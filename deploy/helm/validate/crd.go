package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// crdVersion is one served version of a CustomResourceDefinition with what the API server
// builds from its schema to validate a custom resource.
type crdVersion struct {
	group, version, kind string
	namespaced           bool
	file                 string // "module@version path", for messages
	structural           *structuralschema.Structural
	validator            apiextensionsvalidation.SchemaValidator
	cel                  *cel.Validator
}

func (c *crdVersion) key() string { return c.group + "/" + c.version + "/" + c.kind }

// loadCRDs reads every CustomResourceDefinition of a YAML file (one or several documents).
func loadCRDs(file, display string) ([]*crdVersion, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*crdVersion
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(doc, &crd); err != nil {
			return nil, fmt.Errorf("%s: not a CustomResourceDefinition: %w", file, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			cv, err := newCRDVersion(&crd, v, display)
			if err != nil {
				return nil, fmt.Errorf("%s: %s %s: %w", file, crd.Name, v.Name, err)
			}
			out = append(out, cv)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition with a schema", file)
	}
	return out, nil
}

func newCRDVersion(crd *apiextensionsv1.CustomResourceDefinition, v apiextensionsv1.CustomResourceDefinitionVersion, display string) (*crdVersion, error) {
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
		return nil, err
	}
	ss, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, fmt.Errorf("not a structural schema: %w", err)
	}
	if errs := structuralschema.ValidateStructural(nil, ss); len(errs) > 0 {
		return nil, fmt.Errorf("not a structural schema: %v", errs.ToAggregate())
	}
	validator, _, err := apiextensionsvalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, err
	}
	return &crdVersion{
		group: crd.Spec.Group, version: v.Name, kind: crd.Spec.Names.Kind,
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped, file: display,
		structural: ss, validator: validator,
		cel: cel.NewValidator(ss, true, celconfig.PerCallLimit),
	}, nil
}

// validate does what the API server does with a custom resource on create: prune the
// fields the schema does not know (here: each one is an error), check the metadata, the
// schema (types, required, enums, patterns, bounds), embedded resources, list types, and
// the CEL rules (x-kubernetes-validations).
func (c *crdVersion) validate(o *object, releaseNamespace string) []string {
	var problems []string
	obj := runtime.DeepCopyJSON(o.content)

	if md, ok := obj["metadata"]; ok {
		js, _ := yaml.Marshal(md)
		var meta metav1.ObjectMeta
		if err := yaml.UnmarshalStrict(js, &meta); err != nil {
			problems = append(problems, "metadata: "+err.Error())
		} else {
			problems = append(problems, validateMeta(&meta, o.kind, c.namespaced, releaseNamespace)...)
		}
	} else {
		problems = append(problems, field.Required(field.NewPath("metadata"), "").Error())
	}

	unknown := pruning.PruneWithOptions(obj, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		problems = append(problems, fmt.Sprintf("unknown field %q (not in the %s schema of %s)", p, c.kind, c.file))
	}

	var errs field.ErrorList
	errs = append(errs, apiextensionsvalidation.ValidateCustomResource(nil, obj, c.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, obj, c.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, c.structural, obj)...)
	if len(errs) == 0 && c.cel != nil {
		celErrs, _ := c.cel.Validate(context.Background(), nil, c.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return append(problems, fieldErrors(errs)...)
}
