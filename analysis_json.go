package rollout

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// JSON for the analysis block, inside an update block and in its spelling:
//
//	"analysis": {"interval": "30s", "measurements": 3, "failure_limit": 0,
//	  "on_inconclusive": "fail", "checks": [{"name": "errors",
//	  "provider": "prometheus", "query": "…", "threshold": "< 0.01"}]}
//
// and in Nomad's API spelling (which Nomad does not have: rollout's own)
// Interval, Measurements, FailureLimit, OnInconclusive, Checks, with Name,
// Provider, Query, Threshold and Baseline in each check, the interval in
// nanoseconds. Unknown or repeated keys, keys of the other spelling, values
// of the wrong type and a written 0 for interval or measurements are
// errors, each a *FieldError naming the key under "analysis.".

// analysisKeys are the analysis block's keys in the two spellings.
var analysisKeys = [...][2]string{
	{"interval", "Interval"}, {"measurements", "Measurements"}, {"failure_limit", "FailureLimit"},
	{"on_inconclusive", "OnInconclusive"}, {"checks", "Checks"},
}

// checkKeys are a check's keys in the two spellings.
var checkKeys = [...][2]string{
	{"name", "Name"}, {"provider", "Provider"}, {"query", "Query"}, {"threshold", "Threshold"}, {"baseline", "Baseline"},
}

// keyIn returns the index of key in keys under spelling s, or -1.
func keyIn(keys [][2]string, key string, s spelling) int {
	col := 0
	if s == spellingAPI {
		col = 1
	}
	for i, k := range keys {
		if k[col] == key {
			return i
		}
	}
	return -1
}

// eachMember calls f for every member of the JSON object raw, reporting a
// value that is not an object and repeated keys under path.
func eachMember(raw []byte, path string, bad func(field string, raw []byte, problem string), f func(key string, val []byte)) {
	if jsonKind(raw) != kindObject {
		bad(path, raw, "must be a JSON object, not "+jsonKind(raw))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // '{'; raw is valid JSON, checked by the update block's decoder
	seen := map[string]bool{}
	for dec.More() {
		tok, _ := dec.Token()
		key, _ := tok.(string)
		var val json.RawMessage
		if dec.Decode(&val) != nil {
			return
		}
		if seen[key] {
			bad(path+"."+key, val, "is written more than once")
			continue
		}
		seen[key] = true
		f(key, val)
	}
}

// decodeAnalysis reads an analysis block in spelling s into *dst.
func decodeAnalysis(dst **Analysis, s spelling, raw []byte, path string, bad func(field string, raw []byte, problem string)) {
	if jsonKind(raw) == kindNull {
		return
	}
	var a Analysis
	ok := true
	report := func(field string, raw []byte, problem string) {
		ok = false
		bad(field, raw, problem)
	}
	eachMember(raw, path, report, func(key string, val []byte) {
		field := path + "." + key
		i := keyIn(analysisKeys[:], key, s)
		if i < 0 {
			report(field, val, "is not a field of the analysis block")
			return
		}
		if jsonKind(val) == kindNull {
			return
		}
		var problem string
		switch i {
		case 0:
			var d *time.Duration
			if problem = decodeField(&d, s, val); problem == "" {
				if *d == 0 {
					problem = "must be greater than zero"
				} else {
					a.Interval = *d
				}
			}
		case 1, 2:
			var n *int
			if problem = decodeField(&n, s, val); problem == "" {
				if i == 1 && *n == 0 {
					problem = "must be greater than zero"
				} else if i == 1 {
					a.Measurements = *n
				} else {
					a.FailureLimit = *n
				}
			}
		case 3:
			var str string
			if problem = decodeString(val, &str); problem == "" {
				a.OnInconclusive = InconclusiveAction(str)
			}
		case 4:
			if jsonKind(val) != kindArray {
				problem = "must be a list of checks, not " + jsonKind(val)
				break
			}
			var items []json.RawMessage
			if err := json.Unmarshal(val, &items); err != nil {
				problem = "must be a list: " + err.Error()
				break
			}
			if len(items) > MaxAnalysisChecks {
				problem = "lists more than " + strconv.Itoa(MaxAnalysisChecks) + " checks"
				break
			}
			a.Checks = make([]AnalysisCheck, len(items))
			for k, item := range items {
				decodeCheck(&a.Checks[k], s, item, field+"["+strconv.Itoa(k)+"]", report)
			}
		}
		if problem != "" {
			report(field, val, problem)
		}
	})
	if ok {
		*dst = &a
	}
}

// decodeCheck reads one check of an analysis block.
func decodeCheck(c *AnalysisCheck, s spelling, raw []byte, path string, bad func(field string, raw []byte, problem string)) {
	eachMember(raw, path, bad, func(key string, val []byte) {
		field := path + "." + key
		i := keyIn(checkKeys[:], key, s)
		if i < 0 {
			bad(field, val, "is not a field of an analysis check")
			return
		}
		if jsonKind(val) == kindNull {
			return
		}
		var problem string
		switch i {
		case 0:
			problem = decodeString(val, &c.Name)
		case 1:
			problem = decodeString(val, &c.Provider)
		case 2:
			problem = decodeString(val, &c.Query)
		case 3:
			problem = decodeString(val, &c.Threshold)
		case 4:
			var b *bool
			if problem = decodeField(&b, s, val); problem == "" {
				c.Baseline = *b
			}
		}
		if problem != "" {
			bad(field, val, problem)
		}
	})
}

// decodeString reads a JSON string into *dst.
func decodeString(raw []byte, dst *string) string {
	if jsonKind(raw) != kindString {
		return "must be a string, not " + jsonKind(raw)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return "must be a string: " + err.Error()
	}
	return ""
}

// analysisJSON writes an analysis block in spelling s.
func analysisJSON(a *Analysis, s spelling) ([]byte, error) {
	col := 0
	if s == spellingAPI {
		col = 1
	}
	var buf bytes.Buffer
	sep := func() {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
	}
	str := func(key, v string) error {
		b, err := textJSON(v)
		if err != nil {
			return badText("analysis."+key, v)
		}
		sep()
		buf.WriteString(strconv.Quote(key) + ":")
		buf.Write(b)
		return nil
	}
	buf.WriteByte('{')
	if a.Interval != 0 {
		sep()
		buf.WriteString(strconv.Quote(analysisKeys[0][col]) + ":")
		if s == spellingAPI {
			buf.WriteString(strconv.FormatInt(int64(a.Interval), 10))
		} else {
			buf.WriteString(strconv.Quote(a.Interval.String()))
		}
	}
	if a.Measurements != 0 {
		sep()
		buf.WriteString(strconv.Quote(analysisKeys[1][col]) + ":" + strconv.Itoa(a.Measurements))
	}
	if a.FailureLimit != 0 {
		sep()
		buf.WriteString(strconv.Quote(analysisKeys[2][col]) + ":" + strconv.Itoa(a.FailureLimit))
	}
	if a.OnInconclusive != "" {
		if err := str(analysisKeys[3][col], string(a.OnInconclusive)); err != nil {
			return nil, err
		}
	}
	sep()
	buf.WriteString(strconv.Quote(analysisKeys[4][col]) + ":[")
	for i, c := range a.Checks {
		if i > 0 {
			buf.WriteByte(',')
		}
		var cb bytes.Buffer
		cb.WriteByte('{')
		for k, v := range [...]string{c.Name, c.Provider, c.Query, c.Threshold} {
			if v == "" {
				continue
			}
			b, err := textJSON(v)
			if err != nil {
				return nil, badText("analysis.checks["+strconv.Itoa(i)+"]."+checkKeys[k][col], v)
			}
			if cb.Len() > 1 {
				cb.WriteByte(',')
			}
			cb.WriteString(strconv.Quote(checkKeys[k][col]) + ":")
			cb.Write(b)
		}
		if c.Baseline {
			if cb.Len() > 1 {
				cb.WriteByte(',')
			}
			cb.WriteString(strconv.Quote(checkKeys[4][col]) + ":true")
		}
		cb.WriteByte('}')
		buf.Write(cb.Bytes())
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}
