package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

var lenientDecoder = scheme.Codecs.UniversalDeserializer()

type podTemplate struct {
	owner  *object
	labels map[string]string
	spec   *corev1.PodSpec
}

// checkReferences: what one object of the release says about another must hold, or the
// release installs but does not work — a Service or PDB selecting no pod, a RoleBinding to
// a missing Role, a scale target or a headless Service that is not there, a ServiceMonitor
// selecting no Service or naming a port the Service lacks, a ConfigMap volume of no ConfigMap.
// References to objects outside the release (ClusterRoles, service accounts) are not checked.
func checkReferences(objs []*object) []string {
	byKindName := map[string]*object{}
	typed := map[*object]runtime.Object{}
	var pods []podTemplate
	var services []*corev1.Service
	incomplete := false
	for _, o := range objs {
		byKindName[o.kind+"/"+o.name] = o
		t, _, err := lenientDecoder.Decode(o.raw, nil, nil)
		if err != nil {
			if !runtime.IsNotRegisteredError(err) {
				incomplete = true // reported by the validation; selectors are not checked then
			}
			continue
		}
		typed[o] = t
		switch w := t.(type) {
		case *appsv1.StatefulSet:
			pods = append(pods, podTemplate{o, w.Spec.Template.Labels, &w.Spec.Template.Spec})
		case *appsv1.Deployment:
			pods = append(pods, podTemplate{o, w.Spec.Template.Labels, &w.Spec.Template.Spec})
		case *appsv1.DaemonSet:
			pods = append(pods, podTemplate{o, w.Spec.Template.Labels, &w.Spec.Template.Spec})
		case *corev1.Service:
			services = append(services, w)
		}
	}
	var problems []string
	add := func(o *object, format string, args ...interface{}) {
		problems = append(problems, o.String()+": "+fmt.Sprintf(format, args...))
	}
	selectsPod := func(sel labels.Selector) bool {
		if incomplete {
			return true
		}
		for _, p := range pods {
			if sel.Matches(labels.Set(p.labels)) {
				return true
			}
		}
		return false
	}

	for _, o := range objs {
		switch t := typed[o].(type) {
		case *corev1.Service:
			if len(t.Spec.Selector) > 0 && !selectsPod(labels.SelectorFromSet(t.Spec.Selector)) {
				add(o, "spec.selector %v selects no pod template of the release", t.Spec.Selector)
			}
		case *policyv1.PodDisruptionBudget:
			if t.Spec.Selector != nil {
				sel, err := metav1.LabelSelectorAsSelector(t.Spec.Selector)
				if err == nil && !selectsPod(sel) {
					add(o, "spec.selector selects no pod template of the release")
				}
			}
		case *rbacv1.RoleBinding:
			if t.RoleRef.Kind == "Role" && byKindName["Role/"+t.RoleRef.Name] == nil {
				add(o, "roleRef names Role %q, which the release does not create", t.RoleRef.Name)
			}
		case *appsv1.StatefulSet:
			svc := byKindName["Service/"+t.Spec.ServiceName]
			if t.Spec.ServiceName != "" && svc == nil {
				add(o, "spec.serviceName names Service %q, which the release does not create", t.Spec.ServiceName)
			} else if svc != nil {
				if s, ok := typed[svc].(*corev1.Service); ok && s.Spec.ClusterIP != corev1.ClusterIPNone {
					add(o, "spec.serviceName names Service %q, which is not headless (clusterIP: None)", t.Spec.ServiceName)
				}
			}
		}
		if kind, name, ok := scaleTarget(o); ok && byKindName[kind+"/"+name] == nil {
			add(o, "scaleTargetRef names %s %q, which the release does not create", kind, name)
		}
		if o.kind == "ServiceMonitor" {
			problems = append(problems, checkServiceMonitor(o, services)...)
		}
	}
	for _, p := range pods {
		for i, v := range p.spec.Volumes {
			if v.ConfigMap != nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional) &&
				byKindName["ConfigMap/"+v.ConfigMap.Name] == nil {
				add(p.owner, "spec.template.spec.volumes[%d].configMap.name %q: no such ConfigMap in the release", i, v.ConfigMap.Name)
			}
		}
	}
	return problems
}

// scaleTarget: spec.scaleTargetRef of an HPA (autoscaling) or a KEDA ScaledObject.
func scaleTarget(o *object) (kind, name string, ok bool) {
	if o.kind != "HorizontalPodAutoscaler" && o.kind != "ScaledObject" {
		return "", "", false
	}
	ref, found, _ := unstructured.NestedMap(o.content, "spec", "scaleTargetRef")
	if !found {
		return "", "", false
	}
	kind, _ = ref["kind"].(string)
	name, _ = ref["name"].(string)
	if kind == "" {
		kind = "Deployment" // KEDA's default
	}
	return kind, name, name != ""
}

func checkServiceMonitor(o *object, services []*corev1.Service) []string {
	selMap, found, _ := unstructured.NestedMap(o.content, "spec", "selector")
	if !found {
		return nil
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(selMap, &ls); err != nil {
		return nil // the schema check reports it
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil
	}
	var matched []*corev1.Service
	for _, s := range services {
		if sel.Matches(labels.Set(s.Labels)) {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		return []string{o.String() + ": spec.selector selects no Service of the release"}
	}
	endpoints, _, _ := unstructured.NestedSlice(o.content, "spec", "endpoints")
	var problems []string
	for i, e := range endpoints {
		m, _ := e.(map[string]interface{})
		port, _ := m["port"].(string)
		if port == "" {
			continue
		}
		for _, s := range matched {
			has := false
			for _, p := range s.Spec.Ports {
				has = has || p.Name == port
			}
			if !has {
				problems = append(problems, fmt.Sprintf("%s: spec.endpoints[%d].port %q: Service %s has no port of that name", o, i, port, s.Name))
			}
		}
	}
	return problems
}
