package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

func isBuiltinGroup(group string) bool {
	return scheme.Scheme.IsGroupRegistered(group)
}

// Built-in kinds that are not namespaced (the rest are).
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "StorageClass": true, "PriorityClass": true,
	"CustomResourceDefinition": true, "APIService": true, "IngressClass": true,
	"RuntimeClass": true, "CSIDriver": true, "CSINode": true, "VolumeAttachment": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"CertificateSigningRequest": true, "FlowSchema": true, "PriorityLevelConfiguration": true,
}

// validateBuiltin: (1) strict decoding into the k8s.io/api type (unknown or duplicate
// fields, wrong types), (2) the Kubernetes OpenAPI v3 schema (required fields, types,
// formats), (3) object metadata and the checks of validateSemantics (enumerations, ...).
func (s *schemaSet) validateBuiltin(o *object, releaseNamespace string) []string {
	var problems []string
	typed, _, err := strictDecoder.Decode(o.raw, nil, nil)
	if err != nil {
		if strict, ok := runtime.AsStrictDecodingError(err); ok {
			for _, e := range strict.Errors() {
				problems = append(problems, e.Error())
			}
		} else if runtime.IsNotRegisteredError(err) {
			return []string{fmt.Sprintf("%s %s is no kind of the Kubernetes API (k8s.io/api)", o.apiVersion, o.kind)}
		} else {
			problems = append(problems, err.Error()) // a wrong type; the schema says more below
			typed = nil
		}
	}

	v, err := s.openapi.validator(o.apiVersion, o.kind)
	if err != nil {
		problems = append(problems, err.Error())
	} else {
		problems = append(problems, fieldErrors(apiextensionsvalidation.ValidateCustomResource(nil, dropNulls(o.content), v))...)
	}
	if typed == nil {
		return problems
	}

	if acc, ok := typed.(metav1.Object); ok {
		problems = append(problems, validateMeta(acc, o.kind, !clusterScoped[o.kind], releaseNamespace)...)
	}
	problems = append(problems, validateSemantics(typed)...)
	return problems
}

func validateMeta(meta metav1.Object, kind string, namespaced bool, releaseNamespace string) []string {
	nameFn := apivalidation.NameIsDNSSubdomain
	switch kind {
	case "Service":
		nameFn = apivalidation.NameIsDNS1035Label
	case "Namespace":
		nameFn = apivalidation.NameIsDNSLabel
	case "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
		nameFn = path.ValidatePathSegmentName
	}
	if namespaced && meta.GetNamespace() == "" {
		// `kubectl apply` / helm fill in the release namespace.
		if m, ok := meta.(*metav1.ObjectMeta); ok {
			c := *m
			c.Namespace = releaseNamespace
			meta = &c
		} else {
			defer meta.SetNamespace("")
			meta.SetNamespace(releaseNamespace)
		}
	}
	var out []string
	for _, e := range apivalidation.ValidateObjectMetaAccessor(meta, namespaced, nameFn, field.NewPath("metadata")) {
		out = append(out, e.Error())
	}
	return out
}

// validateSemantics: checks the API server (or the kubelet, at run time) makes that the
// OpenAPI schema cannot express: the values of enumerations (the published schema lists
// none), selectors matching their pod template, names and references inside a pod.
func validateSemantics(obj runtime.Object) []string {
	var errs field.ErrorList
	specPath := field.NewPath("spec")
	checkWorkload := func(sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec, claims []corev1.PersistentVolumeClaim) {
		errs = append(errs, selectorMatches(sel, tmpl.Labels, specPath)...)
		errs = append(errs, validatePodSpec(&tmpl.Spec, claims, specPath.Child("template", "spec"))...)
	}
	oneOf := func(p *field.Path, value string, allowed ...string) {
		if value != "" && !slices.Contains(allowed, value) {
			errs = append(errs, field.NotSupported(p, value, allowed))
		}
	}
	switch t := obj.(type) {
	case *appsv1.StatefulSet:
		checkWorkload(t.Spec.Selector, &t.Spec.Template, t.Spec.VolumeClaimTemplates)
		oneOf(specPath.Child("podManagementPolicy"), string(t.Spec.PodManagementPolicy), "OrderedReady", "Parallel")
		oneOf(specPath.Child("updateStrategy", "type"), string(t.Spec.UpdateStrategy.Type), "RollingUpdate", "OnDelete")
		if r := t.Spec.PersistentVolumeClaimRetentionPolicy; r != nil {
			p := specPath.Child("persistentVolumeClaimRetentionPolicy")
			oneOf(p.Child("whenDeleted"), string(r.WhenDeleted), "Retain", "Delete")
			oneOf(p.Child("whenScaled"), string(r.WhenScaled), "Retain", "Delete")
		}
	case *appsv1.Deployment:
		checkWorkload(t.Spec.Selector, &t.Spec.Template, nil)
		oneOf(specPath.Child("strategy", "type"), string(t.Spec.Strategy.Type), "RollingUpdate", "Recreate")
	case *appsv1.DaemonSet:
		checkWorkload(t.Spec.Selector, &t.Spec.Template, nil)
	case *appsv1.ReplicaSet:
		checkWorkload(t.Spec.Selector, &t.Spec.Template, nil)
	case *batchv1.Job:
		errs = append(errs, validatePodSpec(&t.Spec.Template.Spec, nil, specPath.Child("template", "spec"))...)
	case *batchv1.CronJob:
		errs = append(errs, validatePodSpec(&t.Spec.JobTemplate.Spec.Template.Spec, nil,
			specPath.Child("jobTemplate", "spec", "template", "spec"))...)
	case *corev1.Pod:
		errs = append(errs, validatePodSpec(&t.Spec, nil, specPath)...)
	case *corev1.Service:
		errs = append(errs, validateServicePorts(t.Spec.Ports, specPath.Child("ports"))...)
		oneOf(specPath.Child("type"), string(t.Spec.Type), "ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
	case *autoscalingv2.HorizontalPodAutoscaler:
		if b := t.Spec.Behavior; b != nil {
			for _, r := range []struct {
				dir   string
				rules *autoscalingv2.HPAScalingRules
			}{{"scaleUp", b.ScaleUp}, {"scaleDown", b.ScaleDown}} {
				rules := r.rules
				if rules == nil {
					continue
				}
				rp := specPath.Child("behavior", r.dir)
				if rules.SelectPolicy != nil {
					oneOf(rp.Child("selectPolicy"), string(*rules.SelectPolicy), "Max", "Min", "Disabled")
				}
				for j, pol := range rules.Policies {
					oneOf(rp.Child("policies").Index(j).Child("type"), string(pol.Type), "Pods", "Percent")
				}
			}
		}
		for i, m := range t.Spec.Metrics {
			mp := specPath.Child("metrics").Index(i)
			oneOf(mp.Child("type"), string(m.Type), "Object", "Pods", "Resource", "ContainerResource", "External")
			for _, t := range []struct {
				sub    string
				target *autoscalingv2.MetricTarget
			}{
				{"object", targetOf(m.Object != nil, func() *autoscalingv2.MetricTarget { return &m.Object.Target })},
				{"pods", targetOf(m.Pods != nil, func() *autoscalingv2.MetricTarget { return &m.Pods.Target })},
				{"resource", targetOf(m.Resource != nil, func() *autoscalingv2.MetricTarget { return &m.Resource.Target })},
				{"containerResource", targetOf(m.ContainerResource != nil, func() *autoscalingv2.MetricTarget { return &m.ContainerResource.Target })},
				{"external", targetOf(m.External != nil, func() *autoscalingv2.MetricTarget { return &m.External.Target })},
			} {
				if t.target != nil {
					oneOf(mp.Child(t.sub, "target", "type"), string(t.target.Type), "Utilization", "Value", "AverageValue")
				}
			}
		}
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func targetOf(present bool, get func() *autoscalingv2.MetricTarget) *autoscalingv2.MetricTarget {
	if !present {
		return nil
	}
	return get()
}

func selectorMatches(sel *metav1.LabelSelector, podLabels map[string]string, p *field.Path) field.ErrorList {
	if sel == nil {
		return nil // the schema reports the missing selector
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return field.ErrorList{field.Invalid(p.Child("selector"), sel, err.Error())}
	}
	if s.Empty() {
		return field.ErrorList{field.Invalid(p.Child("selector"), sel, "empty selector is invalid for this workload")}
	}
	if !s.Matches(labels.Set(podLabels)) {
		return field.ErrorList{field.Invalid(p.Child("template", "metadata", "labels"), podLabels,
			"`selector` does not match template `labels`")}
	}
	return nil
}

var supportedFieldPaths = map[string]bool{
	"metadata.name": true, "metadata.namespace": true, "metadata.uid": true,
	"spec.nodeName": true, "spec.serviceAccountName": true, "status.hostIP": true,
	"status.hostIPs": true, "status.podIP": true, "status.podIPs": true,
}

func validatePodSpec(ps *corev1.PodSpec, claims []corev1.PersistentVolumeClaim, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i, v := range ps.Volumes {
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(p.Child("volumes").Index(i).Child("name"), v.Name))
		}
		volumes[v.Name] = true
	}
	for _, c := range claims {
		volumes[c.Name] = true
	}
	names := map[string]bool{}
	check := func(cs []corev1.Container, kind string) {
		for i := range cs {
			c := &cs[i]
			cp := p.Child(kind).Index(i)
			for _, msg := range utilvalidation.IsDNS1123Label(c.Name) {
				errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
			}
			if names[c.Name] {
				errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
			}
			names[c.Name] = true
			if c.ImagePullPolicy != "" && !slices.Contains([]string{"Always", "Never", "IfNotPresent"}, string(c.ImagePullPolicy)) {
				errs = append(errs, field.NotSupported(cp.Child("imagePullPolicy"), string(c.ImagePullPolicy), []string{"Always", "Never", "IfNotPresent"}))
			}
			ports := map[string]bool{}
			for j, port := range c.Ports {
				if port.Protocol != "" && !slices.Contains([]string{"TCP", "UDP", "SCTP"}, string(port.Protocol)) {
					errs = append(errs, field.NotSupported(cp.Child("ports").Index(j).Child("protocol"), string(port.Protocol), []string{"TCP", "UDP", "SCTP"}))
				}
				if port.Name == "" {
					continue
				}
				for _, msg := range utilvalidation.IsValidPortName(port.Name) {
					errs = append(errs, field.Invalid(cp.Child("ports").Index(j).Child("name"), port.Name, msg))
				}
				if ports[port.Name] {
					errs = append(errs, field.Duplicate(cp.Child("ports").Index(j).Child("name"), port.Name))
				}
				ports[port.Name] = true
			}
			for j, m := range c.VolumeMounts {
				if !volumes[m.Name] {
					errs = append(errs, field.NotFound(cp.Child("volumeMounts").Index(j).Child("name"), m.Name))
				}
			}
			for j, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
					fp := e.ValueFrom.FieldRef.FieldPath
					ok := supportedFieldPaths[fp] || strings.HasPrefix(fp, "metadata.labels['") ||
						strings.HasPrefix(fp, "metadata.annotations['")
					if !ok {
						errs = append(errs, field.NotSupported[string](cp.Child("env").Index(j).Child("valueFrom", "fieldRef", "fieldPath"), fp, nil))
					}
				}
			}
			for _, pr := range []struct {
				name  string
				probe *corev1.Probe
			}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
				pname, probe := pr.name, pr.probe
				if probe == nil {
					continue
				}
				var port *intstr.IntOrString
				sub := ""
				switch {
				case probe.HTTPGet != nil:
					port, sub = &probe.HTTPGet.Port, "httpGet"
				case probe.TCPSocket != nil:
					port, sub = &probe.TCPSocket.Port, "tcpSocket"
				}
				if port != nil && port.Type == intstr.String && !ports[port.StrVal] {
					errs = append(errs, field.Invalid(cp.Child(pname, sub, "port"), port.StrVal, "names no port of the container"))
				}
			}
		}
	}
	check(ps.InitContainers, "initContainers")
	check(ps.Containers, "containers")
	return errs
}

func validateServicePorts(ports []corev1.ServicePort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, port := range ports {
		ip := p.Index(i)
		if port.Protocol != "" && !slices.Contains([]string{"TCP", "UDP", "SCTP"}, string(port.Protocol)) {
			errs = append(errs, field.NotSupported(ip.Child("protocol"), string(port.Protocol), []string{"TCP", "UDP", "SCTP"}))
		}
		if len(ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), "a Service with several ports must name each"))
		}
		if port.Name != "" {
			if seen[port.Name] {
				errs = append(errs, field.Duplicate(ip.Child("name"), port.Name))
			}
			seen[port.Name] = true
			for _, msg := range utilvalidation.IsDNS1123Label(port.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), port.Name, msg))
			}
		}
		if port.TargetPort.Type == intstr.String {
			for _, msg := range utilvalidation.IsValidPortName(port.TargetPort.StrVal) {
				errs = append(errs, field.Invalid(ip.Child("targetPort"), port.TargetPort.StrVal, msg))
			}
		}
	}
	return errs
}

// fieldErrors formats errors, leaving out the schema validator's "must validate all the
// schemas (allOf)" lines that only repeat, one per enclosing object, an error listed anyway.
func fieldErrors(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		if len(errs) > 1 && strings.Contains(e.Detail, "must validate all the schemas (allOf)") {
			continue
		}
		out = append(out, e.Error())
	}
	return out
}

// dropNulls removes null values: the API server decodes built-in kinds into Go types, where
// a null field is the same as an absent one.
func dropNulls(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		out := make(map[string]interface{}, len(t))
		for k, x := range t {
			if x != nil {
				out[k] = dropNulls(x)
			}
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = dropNulls(x)
		}
		return out
	}
	return v
}

// openAPIIndex reads the Kubernetes OpenAPI v3 documents (api/openapi-spec/v3 of the
// kubernetes repository: one file per group version) and builds a validator per kind.
type openAPIIndex struct {
	dir        string
	version    string // the Kubernetes release, "v1.37.2"
	mu         sync.Mutex
	docs       map[string]map[string]interface{} // group version -> components.schemas
	validators map[string]apiextensionsvalidation.SchemaValidator
}

func newOpenAPIIndex(dir, version string) *openAPIIndex {
	return &openAPIIndex{dir: dir, version: version, docs: map[string]map[string]interface{}{},
		validators: map[string]apiextensionsvalidation.SchemaValidator{}}
}

func (ix *openAPIIndex) validator(groupVersion, kind string) (apiextensionsvalidation.SchemaValidator, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	key := groupVersion + "/" + kind
	if v, ok := ix.validators[key]; ok {
		return v, nil
	}
	schemas, err := ix.doc(groupVersion)
	if err != nil {
		return nil, err
	}
	group, version := "", groupVersion
	if i := strings.Index(groupVersion, "/"); i >= 0 {
		group, version = groupVersion[:i], groupVersion[i+1:]
	}
	name := ""
	for n, s := range schemas {
		gvks, _ := s.(map[string]interface{})["x-kubernetes-group-version-kind"].([]interface{})
		for _, g := range gvks {
			m, _ := g.(map[string]interface{})
			if m["group"] == group && m["version"] == version && m["kind"] == kind {
				name = n
			}
		}
	}
	if name == "" {
		return nil, fmt.Errorf("the Kubernetes OpenAPI schema has no %s %s", groupVersion, kind)
	}
	expanded := expandRefs(schemas[name], schemas, map[string]bool{name: true})
	js, err := json.Marshal(expanded)
	if err != nil {
		return nil, err
	}
	var sch spec.Schema
	if err := json.Unmarshal(js, &sch); err != nil {
		return nil, fmt.Errorf("OpenAPI schema of %s: %w", key, err)
	}
	v := apiextensionsvalidation.NewSchemaValidatorFromOpenAPI(&sch)
	ix.validators[key] = v
	return v, nil
}

func (ix *openAPIIndex) doc(groupVersion string) (map[string]interface{}, error) {
	if d, ok := ix.docs[groupVersion]; ok {
		return d, nil
	}
	file := "api__v1_openapi.json"
	if groupVersion != "v1" {
		file = "apis__" + strings.ReplaceAll(groupVersion, "/", "__") + "_openapi.json"
	}
	data, err := os.ReadFile(filepath.Join(ix.dir, file))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s is no API version of Kubernetes %s (the schemas have no %s)", groupVersion, ix.version, file)
	} else if err != nil {
		return nil, err
	}
	var doc struct {
		Components struct {
			Schemas map[string]interface{} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	ix.docs[groupVersion] = doc.Components.Schemas
	return doc.Components.Schemas, nil
}

// expandRefs inlines every $ref (the validator resolves none). A reference back to a schema
// being expanded (a recursive type) becomes the empty schema: the typed decoding still
// checks that part. Descriptions and the int-or-string format are dropped; defaults,
// enums and examples are data.
func expandRefs(node interface{}, schemas map[string]interface{}, stack map[string]bool) interface{} {
	switch n := node.(type) {
	case map[string]interface{}:
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			target, ok := schemas[name]
			if !ok || stack[name] {
				return map[string]interface{}{}
			}
			stack[name] = true
			defer delete(stack, name)
			return expandRefs(target, schemas, stack)
		}
		out := make(map[string]interface{}, len(n))
		for k, v := range n {
			switch k {
			case "description":
			case "format":
				// int-or-string is no string format: the oneOf beside it says it all (the
				// validator would compare it with the value's Go type).
				if v != "int-or-string" {
					out[k] = v
				}
			case "default", "enum", "example", "x-kubernetes-group-version-kind":
				out[k] = v
			case "properties", "patternProperties", "definitions":
				props, _ := v.(map[string]interface{})
				m := make(map[string]interface{}, len(props))
				for pk, pv := range props {
					m[pk] = expandRefs(pv, schemas, stack)
				}
				out[k] = m
			default:
				out[k] = expandRefs(v, schemas, stack)
			}
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(n))
		for i, x := range n {
			out[i] = expandRefs(x, schemas, stack)
		}
		return out
	}
	return node
}
