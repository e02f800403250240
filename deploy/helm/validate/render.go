package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/releaseutil"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

type renderOptions struct {
	chart, release, namespace, kubeVersion    string
	valueFiles, sets, stringSets, apiVersions []string
}

// manifest is one YAML document of the rendered release and the template it came from.
type manifest struct {
	source  string // "brook/templates/statefulset.yaml"
	content string
}

// render does what `helm template RELEASE CHART -n NS -f ... --set ...` does: the same
// action (an install in client-only dry-run mode, so no cluster is contacted and `lookup`
// returns nothing), the same values merging and values.schema.json validation, the same
// engine; hooks are included as helm template prints them.
func render(o renderOptions) ([]manifest, error) {
	chrt, err := loader.Load(o.chart)
	if err != nil {
		return nil, usageError{fmt.Errorf("loading chart %s: %w", o.chart, err)}
	}
	switch chrt.Metadata.Type {
	case "", "application":
	default:
		return nil, fmt.Errorf("%s charts are not installable", chrt.Metadata.Type)
	}
	if req := chrt.Metadata.Dependencies; req != nil {
		if err := action.CheckDependencies(chrt, req); err != nil {
			return nil, err
		}
	}
	vals, err := (&values.Options{ValueFiles: o.valueFiles, Values: o.sets, StringValues: o.stringSets}).MergeValues(getter.Providers{})
	if err != nil {
		return nil, usageError{err}
	}

	cfg := &action.Configuration{Log: func(string, ...interface{}) {}}
	inst := action.NewInstall(cfg)
	inst.DryRun = true
	inst.DryRunOption = "true"
	inst.ClientOnly = true
	inst.Replace = true
	inst.IncludeCRDs = true
	inst.ReleaseName = o.release
	inst.Namespace = o.namespace
	inst.APIVersions = chartutil.VersionSet(o.apiVersions)
	if o.kubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(o.kubeVersion)
		if err != nil {
			return nil, usageError{fmt.Errorf("invalid kube version %q: %w", o.kubeVersion, err)}
		}
		inst.KubeVersion = kv
	}
	rel, err := inst.Run(chrt, vals)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", o.chart, err)
	}

	var out []manifest
	split := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	for _, k := range keys {
		out = append(out, manifest{source: sourceOf(split[k]), content: split[k]})
	}
	for _, h := range rel.Hooks {
		out = append(out, manifest{source: h.Path, content: h.Manifest})
	}
	return out, nil
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.+)$`)

func sourceOf(content string) string {
	if m := sourceLine.FindStringSubmatch(content); m != nil {
		return strings.TrimSpace(m[1])
	}
	return "?"
}

func joinManifests(ms []manifest) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("---\n")
		b.WriteString(strings.TrimSpace(m.content))
		b.WriteString("\n")
	}
	return b.String()
}

// object is one rendered Kubernetes object.
type object struct {
	source     string
	apiVersion string
	kind       string
	name       string
	namespace  string
	raw        []byte                 // JSON
	content    map[string]interface{} // JSON-decoded (int64 where integral)
}

func (o *object) String() string {
	return fmt.Sprintf("%s: %s %s", o.source, o.kind, o.name)
}

// parseManifests decodes every document; YAML errors, duplicate keys and documents that are
// no Kubernetes object are problems.
func parseManifests(ms []manifest) ([]*object, []string) {
	var objs []*object
	var problems []string
	for _, m := range ms {
		js, err := yaml.YAMLToJSONStrict([]byte(m.content))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: invalid YAML: %v", m.source, err))
			continue
		}
		if strings.TrimSpace(string(js)) == "null" {
			continue // only comments or whitespace
		}
		var content map[string]interface{}
		if err := utiljson.Unmarshal(js, &content); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not an object: %v", m.source, err))
			continue
		}
		o := &object{source: m.source, raw: js, content: content}
		o.apiVersion, _ = content["apiVersion"].(string)
		o.kind, _ = content["kind"].(string)
		if md, ok := content["metadata"].(map[string]interface{}); ok {
			o.name, _ = md["name"].(string)
			o.namespace, _ = md["namespace"].(string)
		}
		if o.apiVersion == "" || o.kind == "" {
			problems = append(problems, fmt.Sprintf("%s: a document without apiVersion or kind", m.source))
			continue
		}
		objs = append(objs, o)
	}
	return objs, problems
}
