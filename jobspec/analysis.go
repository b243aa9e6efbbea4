package jobspec

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rollout-go/rollout"
	"github.com/zclconf/go-cty/cty"
)

// An update block's analysis block (rollout's canary analysis, which Nomad
// does not have), at the job or the group level:
//
//	update {
//	  canary = 1
//	  analysis {
//	    interval        = "30s"
//	    measurements    = 3
//	    failure_limit   = 0
//	    on_inconclusive = "retry"
//	    check "error-rate" {
//	      provider  = "prometheus"
//	      query     = "sum(rate(errors{version=\"{{.Version}}\"}[1m]))"
//	      threshold = "< 0.01"
//	      baseline  = true
//	    }
//	  }
//	}
//
// It is read into the JSON of rollout.Analysis (each check block's label
// is its name) and decoded with the update block, so its rules and
// messages are the core's; each problem is reported at the argument, the
// check or the block it concerns.

// The arguments and blocks of an analysis block and of its check blocks.
var (
	analysisNames      = names("interval", "measurements", "failure_limit", "on_inconclusive", "check")
	analysisCheckNames = names("provider", "query", "threshold", "baseline")
)

// analysisTypes are the types the arguments of an analysis block and of
// its checks are converted to, as Nomad's decoder converts ("3" is a
// number).
var analysisTypes = map[string]cty.Type{
	"interval": cty.String, "measurements": cty.Number, "failure_limit": cty.Number, "on_inconclusive": cty.String,
	"provider": cty.String, "query": cty.String, "threshold": cty.String, "baseline": cty.Bool,
}

// jsonMembers writes a JSON object's members in the order they are added.
type jsonMembers struct{ buf bytes.Buffer }

func (m *jsonMembers) add(key string, raw []byte) {
	if m.buf.Len() > 0 {
		m.buf.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	m.buf.Write(k)
	m.buf.WriteByte(':')
	m.buf.Write(raw)
}

func (m *jsonMembers) object() []byte { return append(append([]byte{'{'}, m.buf.Bytes()...), '}') }

// analysis reads an analysis block into the JSON the update block's
// decoder reads under "analysis", recording in at where each of its fields
// is written (keyed as the decoder names them: "analysis.interval",
// "analysis.checks[0].threshold") and in fromFile which hold what a file
// read. Its body and its checks' bodies are read through items, so each is
// charged, and a dynamic "check" block is expanded.
func (l *loader) analysis(b *hclsyntax.Block, at map[string]hcl.Range, fromFile map[string]bool) json.RawMessage {
	if len(b.Labels) != 0 {
		l.fail(b.TypeRange, "an analysis block takes no label")
	}
	at["analysis"] = b.TypeRange
	at["analysis.checks"] = b.TypeRange
	var doc jsonMembers
	var checkList bytes.Buffer
	n := 0
	its, restore := l.items(b.Body)
	defer restore()
	l.unexpected(its, "analysis", analysisNames)
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			if !analysisNames[a.Name] {
				continue // reported
			}
			if a.Name == "check" {
				l.fail(a.NameRange, `check is a block in an analysis block: check "name" { provider = ..., query = ... }`)
				continue
			}
			field := "analysis." + a.Name
			if raw, ok := l.analysisArg(a, field, fromFile); ok {
				doc.add(a.Name, raw)
				at[field] = a.SrcRange
			}
			continue
		}
		bl := it.block
		switch {
		case bl.Type == "check":
			if n == rollout.MaxAnalysisChecks {
				l.fail(bl.TypeRange, "update.analysis: more than %d check blocks", rollout.MaxAnalysisChecks)
				n++
				continue
			}
			if n > rollout.MaxAnalysisChecks {
				continue // refused once
			}
			raw := l.analysisCheck(bl, "analysis.checks["+strconv.Itoa(n)+"]", at, fromFile)
			if checkList.Len() > 0 {
				checkList.WriteByte(',')
			}
			checkList.Write(raw)
			n++
		case analysisNames[bl.Type]:
			l.fail(bl.TypeRange, "%s is an argument of an analysis block, not a block: %s = ...", bl.Type, bl.Type)
		}
	}
	if checkList.Len() > 0 {
		doc.add("checks", append(append([]byte{'['}, checkList.Bytes()...), ']'))
	}
	return doc.object()
}

// analysisCheck reads a check block into its JSON, its label the check's
// name; field is how the decoder names it ("analysis.checks[0]").
func (l *loader) analysisCheck(b *hclsyntax.Block, field string, at map[string]hcl.Range, fromFile map[string]bool) []byte {
	var doc jsonMembers
	at[field] = b.TypeRange
	if len(b.Labels) != 1 {
		l.fail(b.TypeRange, "a check block of an analysis block takes one label, its name")
	} else {
		name, _ := json.Marshal(b.Labels[0])
		doc.add("name", name)
		at[field+".name"] = b.LabelRanges[0]
	}
	its, restore := l.items(b.Body)
	defer restore()
	l.unexpected(its, "check", analysisCheckNames)
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			if !analysisCheckNames[a.Name] {
				continue // reported
			}
			f := field + "." + a.Name
			if raw, ok := l.analysisArg(a, f, fromFile); ok {
				doc.add(a.Name, raw)
				at[f] = a.SrcRange
			}
			continue
		}
		if bl := it.block; analysisCheckNames[bl.Type] {
			l.fail(bl.TypeRange, "%s is an argument of a check block, not a block: %s = ...", bl.Type, bl.Type)
		}
	}
	return doc.object()
}

// analysisArg evaluates an argument of an analysis or check block into
// JSON for the decoder, which judges its type and value.
func (l *loader) analysisArg(a *hclsyntax.Attribute, field string, fromFile map[string]bool) (json.RawMessage, bool) {
	v, ok := l.eval(a.Expr)
	if !ok {
		return nil, false
	}
	fromFile[field] = l.fromFile
	if ty, ok := analysisTypes[a.Name]; ok {
		v = as(v, ty)
	}
	if !v.IsKnown() || !(v.IsNull() || v.Type().IsPrimitiveType()) {
		l.fail(a.SrcRange, "update.%s must be a %s", field, analysisTypes[a.Name].FriendlyName())
		return nil, false
	}
	raw, err := ctyJSON(v)
	if err != nil {
		l.fail(a.SrcRange, "update.%s: %v", field, err)
		return nil, false
	}
	return raw, true
}

// analysisPositions returns where the fields of an analysis block are
// written, from the ranges update recorded, for Validate.
func analysisPositions(at map[string]hcl.Range) map[string]Pos {
	var out map[string]Pos
	for k, r := range at {
		if k == "analysis" || strings.HasPrefix(k, "analysis.") {
			if out == nil {
				out = map[string]Pos{}
			}
			out[k] = pos(r)
		}
	}
	return out
}

// analysisPos returns where the analysis field named by a problem of
// JobVersion.Validate (`group "web" update.analysis.checks[0].threshold`,
// the part after "update.") is written in group gs's analysis block, or
// its job's: the field itself, else the nearest enclosing one.
func analysisPos(gs *GroupSpec, field string) (Pos, bool) {
	for f := field; f != ""; {
		if p, ok := gs.analysisAt[f]; ok {
			return p, true
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return Pos{}, false
}
