// brook-chart-validate renders a Helm chart the way `helm template` does (Helm's own Go
// library: chart loader, values merging, values.schema.json, the template engine with
// sprig) and validates every rendered object strictly:
//
//   - built-in kinds are decoded into the k8s.io/api Go types with unknown and duplicate
//     fields rejected, then checked against the Kubernetes OpenAPI v3 schema of the pinned
//     Kubernetes release (required fields, types, formats), then a few checks the API
//     server makes that the published schema does not express (enumerations, object names
//     and labels, selectors that match their pod template, volume mounts and probe ports
//     that name something);
//   - custom resources (ServiceMonitor, ScaledObject, ...) are validated against their
//     CRD's OpenAPI v3 schema with the API server's own code (k8s.io/apiextensions-apiserver:
//     structural schema, pruning of unknown fields reported as errors, the schema
//     validator, list-type and CEL rules);
//   - references inside the release (RoleBinding -> Role, scale targets, the headless
//     Service, Service, PDB and ServiceMonitor selectors, ConfigMap volumes) must resolve;
//   - optional expectations (kubectl JSONPath) check the content.
//
// The schemas come from Go modules fetched through the Go module proxy, pinned in a lock
// file (schemas.lock). Exit status: 0 all valid, 1 a rendering, validation or expectation
// error (each printed on stderr naming the template, the object and the field), 2 bad usage
// or a schema that cannot be fetched.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

const usageText = `Usage: brook-chart-validate --chart DIR --schemas LOCK [options]

Renders the chart as 'helm template' does and validates every object strictly against the
Kubernetes API schemas and the CRD schemas named in the lock file.

Options:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a bad command line or setup (exit 2).
type usageError struct{ error }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("brook-chart-validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.chart, "chart", "", "chart directory (required unless -fetch-schemas)")
	fs.Var(&o.valueFiles, "values", "values file, as helm's -f (repeatable, later wins)")
	fs.Var(&o.valueFiles, "f", "shorthand for -values")
	fs.Var(&o.sets, "set", "key=value, as helm's --set (repeatable)")
	fs.Var(&o.stringSets, "set-string", "key=value with a string value, as helm's --set-string (repeatable)")
	fs.StringVar(&o.release, "release", "brook", "release name (.Release.Name)")
	fs.StringVar(&o.namespace, "namespace", "default", "release namespace (.Release.Namespace)")
	fs.StringVar(&o.kubeVersion, "kube-version", "", "Capabilities.KubeVersion (default: the version of the openapi line of the lock file)")
	fs.Var(&o.apiVersions, "api-versions", "extra Capabilities.APIVersions (comma-separated, repeatable)")
	fs.StringVar(&o.lock, "schemas", "", "schema lock file (required)")
	fs.StringVar(&o.output, "output", "", "also write the rendered manifests to this file")
	fs.Var(&o.expects, "expect", "expectations file (repeatable)")
	fs.Var(&o.prints, "print", "KIND/NAME=JSONPATH: print the kubectl JSONPath output of that rendered object to stdout (repeatable; e.g. a container's command for a test to run)")
	fs.BoolVar(&o.fetchOnly, "fetch-schemas", false, "fetch the schemas of the lock file and exit")
	fs.BoolVar(&o.quiet, "q", false, "print nothing when everything is valid")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "brook-chart-validate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	problems, err := validateChart(o, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "brook-chart-validate: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "error: %s\n", p)
		}
		fmt.Fprintf(stderr, "brook-chart-validate: %d error(s) in %s\n", len(problems), o.describe())
		return 1
	}
	return 0
}

type options struct {
	chart, release, namespace, kubeVersion, lock, output string
	valueFiles, sets, stringSets, apiVersions, expects   stringList
	prints                                               stringList
	fetchOnly, quiet                                     bool
}

func (o options) describe() string {
	if len(o.valueFiles) == 0 {
		return o.chart + " (default values)"
	}
	return o.chart + " with " + strings.Join(o.valueFiles, ", ")
}

// validateChart returns the problems found (validation and expectations) or an error that
// stopped the run (bad usage, missing schemas, a chart that does not render).
func validateChart(o options, stdout io.Writer) ([]string, error) {
	if o.lock == "" {
		return nil, usageError{errors.New("-schemas LOCK is required")}
	}
	schemas, err := loadSchemas(o.lock)
	if err != nil {
		return nil, usageError{err}
	}
	if o.fetchOnly {
		if !o.quiet {
			for _, s := range schemas.sources {
				fmt.Fprintf(stdout, "%s %s@%s %s\n", s.kind, s.module, s.version, s.resolved)
			}
		}
		return nil, nil
	}
	if o.chart == "" {
		return nil, usageError{errors.New("-chart DIR is required")}
	}
	var apis []string
	for _, a := range o.apiVersions {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				apis = append(apis, p)
			}
		}
	}
	if o.kubeVersion == "" {
		// What the cluster would say: the Kubernetes release whose schemas validate.
		o.kubeVersion = schemas.kubeVersion
	}
	manifests, err := render(renderOptions{
		chart: o.chart, valueFiles: o.valueFiles, sets: o.sets, stringSets: o.stringSets, release: o.release,
		namespace: o.namespace, kubeVersion: o.kubeVersion, apiVersions: apis,
	})
	if err != nil {
		return nil, err
	}
	if o.output != "" {
		if err := os.WriteFile(o.output, []byte(joinManifests(manifests)), 0o644); err != nil {
			return nil, err
		}
	}

	objs, problems := parseManifests(manifests)
	for _, obj := range objs {
		for _, p := range schemas.validate(obj, o.namespace) {
			problems = append(problems, obj.String()+": "+p)
		}
	}
	problems = append(problems, checkReferences(objs)...)
	for _, e := range o.expects {
		ps, err := checkExpectations(e, objs)
		if err != nil {
			return nil, usageError{err}
		}
		problems = append(problems, ps...)
	}
	for _, p := range o.prints {
		out, err := printPath(p, objs)
		if err != nil {
			if errors.As(err, &usageError{}) {
				return nil, err
			}
			problems = append(problems, err.Error())
			continue
		}
		fmt.Fprint(stdout, out)
	}
	if len(problems) == 0 && !o.quiet {
		kinds := map[string]int{}
		for _, obj := range objs {
			kinds[obj.kind]++
		}
		var parts []string
		for k, n := range kinds {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(parts)
		fmt.Fprintf(stdout, "ok: %s: %d objects valid (%s)", o.describe(), len(objs),
			strings.Join(parts, ", "))
		if len(o.expects) > 0 {
			fmt.Fprintf(stdout, ", expectations met")
		}
		fmt.Fprintln(stdout)
	}
	return problems, nil
}
