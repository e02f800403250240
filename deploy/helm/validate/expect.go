package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/yaml"
)

// expectation is one check of an expectations file (a YAML list):
//
//   - kind: StatefulSet                       # objects of this kind (required)
//     name: brook                             # and this name (optional)
//     count: 1                                # exactly this many such objects (optional)
//     path: '{.spec.podManagementPolicy}'     # kubectl JSONPath, evaluated on each (optional)
//     equals: Parallel                        # the output must be this string, or
//     matches: '^Parallel$'                   # match this regular expression, or
//     absent: true                            # be empty (the path finds nothing)
//     why: the pods start at once             # printed when the check fails (optional)
//
// A check with a path and no object of the kind fails.
type expectation struct {
	Kind    string  `json:"kind"`
	Name    string  `json:"name,omitempty"`
	Count   *int    `json:"count,omitempty"`
	Path    string  `json:"path,omitempty"`
	Equals  *string `json:"equals,omitempty"`
	Matches string  `json:"matches,omitempty"`
	Absent  bool    `json:"absent,omitempty"`
	Why     string  `json:"why,omitempty"`
}

// printPath evaluates "KIND/NAME=JSONPATH" (-print) on the one rendered object of that kind
// and name. A malformed spec or path is a usageError; no such object is an error.
func printPath(spec string, objs []*object) (string, error) {
	target, path, ok := strings.Cut(spec, "=")
	kind, name, ok2 := strings.Cut(target, "/")
	if !ok || !ok2 || kind == "" || name == "" || path == "" {
		return "", usageError{fmt.Errorf("-print %q: want KIND/NAME=JSONPATH", spec)}
	}
	jp := jsonpath.New("print").AllowMissingKeys(true)
	if err := jp.Parse(path); err != nil {
		return "", usageError{fmt.Errorf("-print %q: %w", spec, err)}
	}
	for _, o := range objs {
		if o.kind == kind && o.name == name {
			var buf bytes.Buffer
			if err := jp.Execute(&buf, o.content); err != nil {
				return "", fmt.Errorf("-print %s/%s: %v", kind, name, err)
			}
			return buf.String(), nil
		}
	}
	return "", fmt.Errorf("-print: no %s %s rendered", kind, name)
}

func checkExpectations(file string, objs []*object) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var list []expectation
	if err := yaml.UnmarshalStrict(data, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var problems []string
	for i, e := range list {
		where := fmt.Sprintf("%s #%d (%s", file, i+1, e.Kind)
		if e.Name != "" {
			where += " " + e.Name
		}
		if e.Path != "" {
			where += " " + e.Path
		}
		where += ")"
		if e.Kind == "" {
			return nil, fmt.Errorf("%s: kind is required", where)
		}
		n := 0
		if e.Equals != nil {
			n++
		}
		if e.Matches != "" {
			n++
		}
		if e.Absent {
			n++
		}
		if (e.Path == "") != (n == 0) || n > 1 || (e.Path == "" && e.Count == nil) {
			return nil, fmt.Errorf("%s: give count, or a path with one of equals, matches, absent", where)
		}
		fail := func(msg string) {
			if e.Why != "" {
				msg += " — " + e.Why
			}
			problems = append(problems, where+": "+msg)
		}
		var selected []*object
		for _, o := range objs {
			if o.kind == e.Kind && (e.Name == "" || o.name == e.Name) {
				selected = append(selected, o)
			}
		}
		if e.Count != nil && len(selected) != *e.Count {
			fail(fmt.Sprintf("%d rendered, want %d", len(selected), *e.Count))
			continue
		}
		if e.Path == "" {
			continue
		}
		if len(selected) == 0 {
			fail("no such object rendered")
			continue
		}
		jp := jsonpath.New("expect").AllowMissingKeys(true)
		if err := jp.Parse(e.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		var re *regexp.Regexp
		if e.Matches != "" {
			if re, err = regexp.Compile(e.Matches); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		for _, o := range selected {
			var buf bytes.Buffer
			if err := jp.Execute(&buf, o.content); err != nil {
				fail(fmt.Sprintf("%s: %v", o.name, err))
				continue
			}
			got := buf.String()
			switch {
			case e.Equals != nil && got != *e.Equals:
				fail(fmt.Sprintf("%s: got %q, want %q", o.name, got, *e.Equals))
			case re != nil && !re.MatchString(got):
				fail(fmt.Sprintf("%s: got %q, want a match of %q", o.name, got, e.Matches))
			case e.Absent && got != "":
				fail(fmt.Sprintf("%s: got %q, want nothing", o.name, got))
			}
		}
	}
	return problems, nil
}
