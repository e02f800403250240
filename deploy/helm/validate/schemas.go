package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// source is one line of the lock file: a file or folder inside a Go module version.
//
//	# kind   module                  version  sum (go.sum h1 of the module zip)  path
//	openapi  k8s.io/kubernetes       v1.37.2  h1:...                              api/openapi-spec/v3
//	crd      github.com/kedacore/keda/v2 v2.21.0 h1:...  config/crd/bases/keda.sh_scaledobjects.yaml
type source struct {
	kind, module, version, sum, path string
	resolved                         string // absolute path in the module cache
}

type schemaSet struct {
	sources []source
	openapi *openAPIIndex
	// kubeVersion is the Kubernetes release of the OpenAPI schemas ("v1.37.2").
	kubeVersion string
	crds        map[string]*crdVersion // "group/version/Kind"
}

// loadSchemas reads the lock file, makes sure every module version is in the Go module
// cache (`go mod download`, which verifies the zip against the checksum database, and
// against the lock's sum here), and loads the Kubernetes OpenAPI index and the CRDs.
func loadSchemas(lock string) (*schemaSet, error) {
	f, err := os.Open(lock)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set := &schemaSet{crds: map[string]*crdVersion{}}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 5 || (fields[0] != "openapi" && fields[0] != "crd") || !strings.HasPrefix(fields[3], "h1:") {
			return nil, fmt.Errorf("%s:%d: want `openapi|crd MODULE VERSION h1:SUM PATH`, got %q", lock, line, text)
		}
		set.sources = append(set.sources, source{kind: fields[0], module: fields[1], version: fields[2],
			sum: fields[3], path: fields[4]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for i := range set.sources {
		s := &set.sources[i]
		dir, err := moduleDir(s.module, s.version, s.sum)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", lock, err)
		}
		s.resolved = filepath.Join(dir, filepath.FromSlash(s.path))
		if _, err := os.Stat(s.resolved); err != nil {
			return nil, fmt.Errorf("%s: %s@%s has no %s", lock, s.module, s.version, s.path)
		}
		switch s.kind {
		case "openapi":
			if set.openapi != nil {
				return nil, fmt.Errorf("%s: more than one openapi line", lock)
			}
			set.openapi = newOpenAPIIndex(s.resolved, s.version)
			set.kubeVersion = s.version
		case "crd":
			versions, err := loadCRDs(s.resolved, s.module+"@"+s.version+" "+s.path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", lock, err)
			}
			for _, v := range versions {
				set.crds[v.key()] = v
			}
		}
	}
	if set.openapi == nil {
		return nil, fmt.Errorf("%s: no openapi line (the Kubernetes OpenAPI v3 schemas)", lock)
	}
	return set, nil
}

// moduleDir returns the module's folder in the module cache, downloading it through the
// Go module proxy when missing.
func moduleDir(module, version, sum string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir() // outside any module: the validator's go.mod must not change
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Error != "" || runErr != nil {
		msg := strings.TrimSpace(info.Error + " " + stderr.String())
		if msg == "" && runErr != nil {
			msg = runErr.Error()
		}
		return "", fmt.Errorf("go mod download %s@%s failed: %s", module, version, msg)
	}
	if info.Sum != sum {
		return "", fmt.Errorf("%s@%s has checksum %s, the lock file says %s", module, version, info.Sum, sum)
	}
	return info.Dir, nil
}

// validate returns the problems of one object, each naming the field.
func (s *schemaSet) validate(o *object, releaseNamespace string) []string {
	gv := o.apiVersion
	group, version := "", gv
	if i := strings.Index(gv, "/"); i >= 0 {
		group, version = gv[:i], gv[i+1:]
	}
	if crd, ok := s.crds[group+"/"+version+"/"+o.kind]; ok {
		return crd.validate(o, releaseNamespace)
	}
	if isBuiltinGroup(group) {
		return s.validateBuiltin(o, releaseNamespace)
	}
	return []string{fmt.Sprintf("no schema for %s %s: neither a built-in kind nor a CRD of the lock file", gv, o.kind)}
}
