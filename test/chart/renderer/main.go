// Command renderer renders a Helm chart the way `helm template` does, for tests on machines without
// Helm: Go text/template with Sprig plus Helm's own functions (include, tpl, required, toYaml,
// fromYaml, toJson, fromJson, lookup → empty), the built-in objects (.Values, .Release, .Chart,
// .Capabilities, .Files, .Template) and Helm's values precedence (chart values.yaml ← -f files ←
// --set, deep merge, null deletes a key). It is NOT Helm: no hooks, no subcharts, no schema check
// (the Node wrapper validates the merged values against values.schema.json first).
//
// Modes: `--print-values` prints the merged values as JSON; otherwise it prints the rendered
// manifests (`---` + `# Source:` per template), with `--values-json FILE` taking already merged values.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type chartMeta struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion"`
	Description string `json:"description"`
	Home        string `json:"home"`
	KubeVersion string `json:"kubeVersion"`
	APIVersion  string `json:"apiVersion"`
	Type        string `json:"type"`
}

type apiVersions []string

// Has reports whether a group/version (or group/version/Kind) is available, like Helm's Capabilities.APIVersions.Has.
func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var valueFiles, sets, apis multiFlag
	chartDir := flag.String("chart", "", "chart directory")
	release := flag.String("release-name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.33.0", "Kubernetes version for .Capabilities")
	printValues := flag.Bool("print-values", false, "print the merged values as JSON and exit")
	valuesJSON := flag.String("values-json", "", "already merged values (JSON file)")
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&sets, "set", "key=value (repeatable)")
	flag.Var(&apis, "api-versions", "extra API versions for .Capabilities.APIVersions (repeatable)")
	flag.Parse()
	if *chartDir == "" {
		return errors.New("--chart is required")
	}

	var meta chartMeta
	if err := readYAML(filepath.Join(*chartDir, "Chart.yaml"), &meta); err != nil {
		return err
	}
	var values map[string]interface{}
	if *valuesJSON != "" {
		raw, err := ioutil.ReadFile(*valuesJSON)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &values); err != nil {
			return fmt.Errorf("%s: %v", *valuesJSON, err)
		}
	} else {
		merged, err := mergeValues(*chartDir, valueFiles, sets)
		if err != nil {
			return err
		}
		values = merged
	}
	if *printValues {
		out, err := json.Marshal(values)
		if err != nil {
			return err
		}
		fmt.Println(string(out))
		return nil
	}
	out, err := render(*chartDir, meta, values, *release, *namespace, *kubeVersion, apis)
	if err != nil {
		return err
	}
	fmt.Print(out)
	return nil
}

func readYAML(file string, into interface{}) error {
	raw, err := ioutil.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

// mergeValues: chart defaults ← each -f file ← each --set, later wins; maps merge deeply; a null in a
// later source removes the key (Helm's coalesce).
func mergeValues(chartDir string, valueFiles, sets []string) (map[string]interface{}, error) {
	base := map[string]interface{}{}
	if err := readYAML(filepath.Join(chartDir, "values.yaml"), &base); err != nil {
		return nil, err
	}
	for _, f := range valueFiles {
		layer := map[string]interface{}{}
		if err := readYAML(f, &layer); err != nil {
			return nil, err
		}
		base = coalesce(base, layer)
	}
	for _, s := range sets {
		layer, err := parseSet(s)
		if err != nil {
			return nil, err
		}
		base = coalesce(base, layer)
	}
	return stripNulls(base).(map[string]interface{}), nil
}

func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if v == nil {
			out[k] = nil // removed at the end (stripNulls), so a later layer can still set it
			continue
		}
		srcMap, srcIsMap := v.(map[string]interface{})
		dstMap, dstIsMap := out[k].(map[string]interface{})
		if srcIsMap && dstIsMap {
			out[k] = coalesce(dstMap, srcMap)
		} else {
			out[k] = v
		}
	}
	return out
}

func stripNulls(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, x := range t {
			if x == nil {
				continue
			}
			out[k] = stripNulls(x)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = stripNulls(x)
		}
		return out
	}
	return v
}

// parseSet handles `a.b.c=value` (Helm's --set typing: true/false, null, integers; else a string).
func parseSet(s string) (map[string]interface{}, error) {
	eq := strings.Index(s, "=")
	if eq <= 0 {
		return nil, fmt.Errorf("--set %q: expected key=value", s)
	}
	keys := strings.Split(s[:eq], ".")
	raw := s[eq+1:]
	var value interface{} = raw
	switch {
	case raw == "true":
		value = true
	case raw == "false":
		value = false
	case raw == "null":
		value = nil
	default:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			value = n
		}
	}
	out := map[string]interface{}{}
	cur := out
	for i, k := range keys {
		if i == len(keys)-1 {
			cur[k] = value
		} else {
			next := map[string]interface{}{}
			cur[k] = next
			cur = next
		}
	}
	return out, nil
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func render(chartDir string, meta chartMeta, values map[string]interface{}, release, namespace, kubeVersion string, extraAPIs []string) (string, error) {
	templatesDir := filepath.Join(chartDir, "templates")
	entries, err := ioutil.ReadDir(templatesDir)
	if err != nil {
		return "", err
	}
	chartFiles := files{}
	_ = filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(chartDir, p)
		if !strings.HasPrefix(rel, "templates"+string(filepath.Separator)) {
			chartFiles[filepath.ToSlash(rel)], _ = ioutil.ReadFile(p)
		}
		return nil
	})

	root := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includedNames := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.Replace(buf.String(), "<no value>", "", -1), nil
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	// helm template has no cluster: lookup always returns an empty map.
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs)

	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := path.Join(meta.Name, "templates", e.Name())
		raw, err := ioutil.ReadFile(filepath.Join(templatesDir, e.Name()))
		if err != nil {
			return "", err
		}
		if _, err := root.New(name).Parse(string(raw)); err != nil {
			return "", fmt.Errorf("parse error in %s: %v", name, err)
		}
		names = append(names, name)
	}
	sort.Strings(names)

	version := strings.TrimPrefix(kubeVersion, "v")
	parts := strings.SplitN(version, ".", 3)
	minor := ""
	if len(parts) > 1 {
		minor = parts[1]
	}
	apis := apiVersions{"v1", "apps/v1", "policy/v1", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "admissionregistration.k8s.io/v1", "coordination.k8s.io/v1"}
	apis = append(apis, extraAPIs...)
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": map[string]interface{}{
			"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion, "Description": meta.Description, "KubeVersion": meta.KubeVersion, "APIVersion": meta.APIVersion, "Type": meta.Type,
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v" + version, "GitVersion": "v" + version, "Major": parts[0], "Minor": minor},
			"APIVersions": apis,
		},
		"Files": chartFiles,
	}

	var out strings.Builder
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": name, "BasePath": path.Join(meta.Name, "templates")}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", fmt.Errorf("execution error at (%s): %v", name, err)
		}
		text := strings.Replace(buf.String(), "<no value>", "", -1)
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.TrimLeft(text, "\n"))
	}
	// NOTES.txt is rendered (so its errors show) but, as with `helm template`, not printed.
	if t := root.Lookup(path.Join(meta.Name, "templates", "NOTES.txt")); t != nil {
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		if err := t.Execute(ioutil.Discard, data); err != nil {
			return "", fmt.Errorf("execution error at (NOTES.txt): %v", err)
		}
	}
	return out.String(), nil
}
