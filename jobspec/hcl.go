package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rollout-go/rollout"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// loader reads one HCL job file, within its budget.
type loader struct {
	file   string
	src    []byte
	opts   *Options
	ctx    *hcl.EvalContext
	errs   *multierror.Error
	files  *fileAccess
	budget *budget
	// limited is set once a limit refusal is reported: it stops the load.
	limited bool
	// fromFile reports whether the value last evaluated holds what a file
	// read; such a value is never shown in a message.
	fromFile bool
	shapes   map[hclsyntax.Expression]*shape
	sizes    map[*hclsyntax.Body]int
}

// as converts a value as Nomad's decoder does ("3" is a number, "true" a
// bool); a value that does not convert is returned unchanged, for the
// caller to refuse with its own message.
func as(v cty.Value, ty cty.Type) cty.Value {
	if c, err := convert.Convert(v, ty); err == nil && !c.IsNull() && c.IsKnown() {
		return c
	}
	return v
}

// runtimeOnly reports whether an expression's variables are no variable or
// local of the file: only what Nomad interpolates at run time.
func runtimeOnly(vars []hcl.Traversal) bool {
	for _, tr := range vars {
		if scopeRoots[tr.RootName()] {
			return false
		}
	}
	return true
}

func (l *loader) load() *Job {
	f, ds := hclsyntax.ParseConfig(l.src, l.file, hcl.Pos{Line: 1, Column: 1})
	if !l.diags(ds) {
		return nil
	}
	body := f.Body.(*hclsyntax.Body)
	l.ctx = &hcl.EvalContext{Functions: bounded(l.budget, functions(l.files))}
	l.budget.fns = l.ctx.Functions
	for _, a := range sortedAttrs(body) {
		l.fail(a.SrcRange, "unsupported argument %q at the top level (a job file holds job, variable, variables and locals blocks)", a.Name)
	}
	var jobBlock *hclsyntax.Block
	var locals []*hclsyntax.Attribute
	vars := map[string]cty.Value{}
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			l.variable(b, vars)
		case "variables":
			for _, a := range sortedAttrs(b.Body) {
				if v, ok := l.evalMarked(a.Expr); ok {
					vars[a.Name] = l.override(a.Name, v, cty.DynamicPseudoType, a.SrcRange)
				}
			}
		case "locals":
			locals = append(locals, sortedAttrs(b.Body)...)
		case "job":
			if jobBlock != nil {
				l.fail(b.TypeRange, "a job file declares one job; another begins here")
				continue
			}
			jobBlock = b
		default:
			l.fail(b.TypeRange, "unsupported block %q at the top level", b.Type)
		}
	}
	l.undeclared(vars)
	l.ctx.Variables = map[string]cty.Value{"var": cty.ObjectVal(vars)}
	l.locals(locals)
	if jobBlock == nil {
		if l.errs == nil {
			l.fail(hcl.Range{Filename: l.file, Start: hcl.Pos{Line: 1, Column: 1}}, "no job block")
		}
		return nil
	}
	return l.job(jobBlock)
}

func (l *loader) variable(b *hclsyntax.Block, vars map[string]cty.Value) {
	if len(b.Labels) != 1 {
		l.fail(b.TypeRange, "a variable block takes one label, its name")
		return
	}
	name := b.Labels[0]
	ty := cty.DynamicPseudoType
	if a, ok := b.Body.Attributes["type"]; ok {
		t, ds := typeexpr.TypeConstraint(a.Expr)
		if !l.diags(ds) {
			return
		}
		ty = t
	}
	val := cty.NilVal
	if a, ok := b.Body.Attributes["default"]; ok {
		v, ok := l.evalMarked(a.Expr)
		if !ok {
			return
		}
		val = v
	}
	if _, given := l.opts.Vars[name]; !given && val == cty.NilVal {
		l.fail(b.TypeRange, "variable %q has no default and no value was given (set it with -var %s=...)", name, name)
		vars[name] = cty.DynamicVal // no second error where it is used
		return
	}
	if val == cty.NilVal {
		val = cty.NullVal(ty)
	}
	vars[name] = l.override(name, val, ty, b.TypeRange)
}

// override applies a value given in Options.Vars and converts to ty.
func (l *loader) override(name string, val cty.Value, ty cty.Type, r hcl.Range) cty.Value {
	if text, ok := l.opts.Vars[name]; ok {
		if ty == cty.String || (ty == cty.DynamicPseudoType && (val == cty.NilVal || val.IsNull() || val.Type() == cty.String)) {
			val = cty.StringVal(text)
		} else {
			v, ok := l.varValue(name, text)
			if !ok {
				return val
			}
			val = v
		}
	}
	if ty != cty.DynamicPseudoType {
		if err := l.budget.conversion(val, "the value of variable "+name); err != nil {
			l.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error(), Subject: r.Ptr(), Extra: err}})
			return val
		}
		v, err := convert.Convert(val, ty)
		if err != nil {
			l.fail(r, "variable %q: %v", name, err)
			return val
		}
		val = v
	}
	return val
}

func sortedAttrs(b *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
	for _, a := range b.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// item is one attribute or block of a body, in file order, with the
// context its expressions evaluate in.
type item struct {
	attr  *hclsyntax.Attribute
	block *hclsyntax.Block
	ctx   *hcl.EvalContext
}

// items lists a body's attributes and blocks in file order, each dynamic
// block expanded into the blocks it generates. The caller sets l.ctx to
// each item's ctx as it reads it, and calls restore when done.
func (l *loader) items(b *hclsyntax.Body) (its []item, restore func()) {
	base := l.ctx
	// Each item read costs a unit: a dynamic block repeats its content's.
	if !l.spend(1+len(b.Attributes)+len(b.Blocks), b.SrcRange) {
		return nil, func() { l.ctx = base }
	}
	var out []item
	for _, a := range sortedAttrs(b) {
		out = append(out, item{attr: a, ctx: base})
	}
	for _, bl := range b.Blocks {
		if bl.Type == "dynamic" {
			out = append(out, l.dynamic(bl, base)...)
			continue
		}
		out = append(out, item{block: bl, ctx: base})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start() < out[j].start() })
	return out, func() { l.ctx = base }
}

// dynamic expands a dynamic block: one block per element of for_each,
// its content evaluated with the iterator (the block's label, or the
// iterator argument) bound to {key, value}.
func (l *loader) dynamic(bl *hclsyntax.Block, base *hcl.EvalContext) []item {
	if len(bl.Labels) != 1 {
		l.fail(bl.TypeRange, "a dynamic block takes one label, the type of the blocks it generates")
		return nil
	}
	iter := bl.Labels[0]
	if a, ok := bl.Body.Attributes["iterator"]; ok {
		tr, ds := hcl.AbsTraversalForExpr(a.Expr)
		if !l.diags(ds) {
			return nil
		}
		iter = tr.RootName()
	}
	var content *hclsyntax.Block
	for _, c := range bl.Body.Blocks {
		if c.Type == "content" {
			content = c
		}
	}
	fe, ok := bl.Body.Attributes["for_each"]
	if content == nil || !ok {
		l.fail(bl.TypeRange, "a dynamic block needs for_each and a content block")
		return nil
	}
	l.ctx = base
	coll, ok := l.evalMarked(fe.Expr)
	if !ok {
		return nil
	}
	coll, marks := coll.Unmark()
	if coll.IsNull() || !coll.IsKnown() || !coll.CanIterateElements() {
		l.fail(fe.SrcRange, "for_each must be a list, a set, a map or an object")
		return nil
	}
	var out []item
	for it := coll.ElementIterator(); it.Next(); {
		if !l.spend(itemCost+l.bodySize(content.Body), bl.TypeRange) {
			break
		}
		k, v := it.Element()
		k, v = k.WithMarks(marks), v.WithMarks(marks)
		child := base.NewChild()
		child.Variables = map[string]cty.Value{iter: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
		var labels []string
		if a, ok := bl.Body.Attributes["labels"]; ok {
			l.ctx = child
			lv, ok := l.eval(a.Expr)
			if !ok {
				continue
			}
			labels = append(labels, l.strings(a, lv)...)
		}
		gen := &hclsyntax.Block{
			Type: bl.Labels[0], Labels: labels, Body: content.Body,
			TypeRange: bl.TypeRange, LabelRanges: bl.LabelRanges, OpenBraceRange: content.OpenBraceRange, CloseBraceRange: content.CloseBraceRange,
		}
		out = append(out, item{block: gen, ctx: child})
	}
	l.ctx = base
	return out
}

func (it item) start() int {
	if it.attr != nil {
		return it.attr.SrcRange.Start.Byte
	}
	return it.block.TypeRange.Start.Byte
}

// jobContext is what a group inherits from its job.
type jobContext struct {
	id                  string
	fields              []Field // job meta
	ix                  indexer // of fields
	reschedule, migrate *hclsyntax.Block
	// analysisAt is where the fields of the job's analysis block are.
	analysisAt map[string]Pos
}

func (l *loader) job(b *hclsyntax.Block) *Job {
	if len(b.Labels) != 1 {
		l.fail(b.TypeRange, "a job block takes one label, its ID")
		return nil
	}
	job := &Job{Type: "service", Pos: pos(b.TypeRange)}
	job.Version.ID = b.Labels[0]
	job.Version.Version = l.opts.Version
	jc := jobContext{id: b.Labels[0], ix: indexer{}}
	var groups []item
	its, restore := l.items(b.Body)
	defer restore()
	l.unexpected(its, "job", jobNames)
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			v, ok := l.eval(a.Expr)
			if !ok {
				continue
			}
			switch a.Name {
			case "type":
				if v.Type() != cty.String || v.IsNull() {
					l.fail(a.SrcRange, "type must be a string")
					continue
				}
				job.Type = v.AsString()
				job.Version.Type = versionType(job.Type)
			case "datacenters":
				job.Datacenters = append(job.Datacenters, l.strings(a, v)...)
			case "meta":
				jc.fields = append(jc.fields, flattenValue("Job Meta", "", v)...)
			case "id":
				if v.Type() == cty.String && !v.IsNull() {
					job.Version.ID = v.AsString()
				}
			}
			continue
		}
		bl := it.block
		switch bl.Type {
		case "group":
			groups = append(groups, it)
		case "update":
			job.Version.Update, jc.analysisAt = l.update(bl)
		case "reschedule":
			l.unexpectedIn(bl, "reschedule", rescheduleNames)
			jc.reschedule = bl
		case "migrate":
			l.unexpectedIn(bl, "migrate", migrateNames)
			jc.migrate = bl
		case "vault", "secret":
			// Nomad gives them to the job's tasks.
			jc.fields = append(jc.fields, l.indexed("Job "+sectionName(bl.Type), bl, jc.ix)...)
		case "meta":
			jc.fields = append(jc.fields, l.flattenBlock("Job Meta", bl)...)
		case "task":
			// Nomad reads a task outside any group as a group of its
			// own, of the same name.
			groups = append(groups, item{ctx: it.ctx, block: &hclsyntax.Block{
				Type: "group", Labels: bl.Labels, TypeRange: bl.TypeRange, LabelRanges: bl.LabelRanges,
				Body: &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: hclsyntax.Blocks{bl}, SrcRange: bl.Body.SrcRange, EndRange: bl.Body.EndRange},
			}})
		}
	}
	for _, g := range groups {
		l.ctx = g.ctx
		gs, grp, ok := l.group(g.block, &jc)
		if ok {
			job.Groups = append(job.Groups, gs)
			job.Version.Groups = append(job.Version.Groups, grp)
		}
	}
	job.Version.Definition = l.jobDefinition(b, job.Type)
	return job
}

// attrText is the value of block b's argument name, rendered, or "".
func (l *loader) attrText(b *hclsyntax.Block, name string) string {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return ""
	}
	v, ok := l.eval(a.Expr)
	if !ok {
		return ""
	}
	return render(v)
}

func (l *loader) strings(a *hclsyntax.Attribute, v cty.Value) []string {
	if err := l.budget.conversion(v, a.Name); err != nil {
		l.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error(), Subject: a.SrcRange.Ptr(), Extra: err}})
		return nil
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || lv.IsNull() {
		l.fail(a.SrcRange, "%s must be a list of strings", a.Name)
		return nil
	}
	var out []string
	for it := lv.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || !e.IsKnown() {
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

// indexer holds, by section, the names indexed gave the blocks of one
// job, group or task.
type indexer map[string]map[string]bool

// indexed flattens a repeatable block as Section[i], i counting the blocks
// of its section ix has already named (by index or label), or
// Section[label].
func (l *loader) indexed(section string, b *hclsyntax.Block, ix indexer) []Field {
	names := ix[section]
	if names == nil {
		names = map[string]bool{}
		ix[section] = names
	}
	name := fmt.Sprintf("%s[%d]", section, len(names))
	if len(b.Labels) > 0 {
		name = fmt.Sprintf("%s[%s]", section, strings.Join(b.Labels, ","))
	}
	names[name] = true
	out := l.flattenBlock(name, b)
	if len(out) == 0 {
		out = []Field{{Section: name, Key: "", Value: "{}"}}
	}
	return out
}

// flattenBlock flattens a block's attributes and nested blocks.
func (l *loader) flattenBlock(section string, b *hclsyntax.Block) []Field {
	var out []Field
	l.flattenBody(section, "", b.Body, &out)
	return out
}

func (l *loader) flattenBody(section, prefix string, body *hclsyntax.Body, out *[]Field) {
	counts := map[string]int{}
	its, restore := l.items(body)
	defer restore()
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			v, ok := l.eval(a.Expr)
			if !ok {
				continue
			}
			*out = append(*out, flattenValue(section, prefix+a.Name, v)...)
			continue
		}
		bl := it.block
		key := prefix + bl.Type
		for _, lab := range bl.Labels {
			key += "." + lab
		}
		if len(bl.Labels) == 0 {
			key = fmt.Sprintf("%s[%d]", key, counts[bl.Type])
			counts[bl.Type]++
		}
		before := len(*out)
		l.flattenBody(section, key+".", bl.Body, out)
		if len(*out) == before {
			*out = append(*out, Field{Section: section, Key: key, Value: "{}"})
		}
	}
}

// flattenValue turns a value into fields; an object or map at the top of
// a section (meta = {...}, env = {...}) gives one field per key.
func flattenValue(section, key string, v cty.Value) []Field {
	if key == "" && !v.IsNull() && v.IsKnown() && (v.Type().IsObjectType() || v.Type().IsMapType()) {
		var out []Field
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, Field{Section: section, Key: k.AsString(), Value: render(e)})
		}
		return out
	}
	return []Field{{Section: section, Key: key, Value: render(v)}}
}

// destructiveGroupBlocks are the group blocks whose change replaces the
// group's allocations; every other group block and attribute (count,
// update, restart but its render_templates, reschedule, migrate,
// constraint, affinity, spread, service but some of its connect block,
// scaling, ...) is updated in place.
var destructiveGroupBlocks = map[string]bool{
	"ephemeral_disk": true, "network": true, "volume": true, "consul": true, "meta": true,
	"vault": true, "secret": true, // Nomad gives them to the group's tasks
}

// destructiveTaskBlocks and destructiveTaskAttrs are the task fields whose
// change replaces the group's allocations (of logs and resources, only some
// fields: see taskBlockFields); the others (service, restart but its
// render_templates, constraint, affinity, lifecycle, dispatch_payload, kind,
// kill_timeout, kill_signal, shutdown_delay, leader, scaling, ...) are
// updated in place.
var (
	destructiveTaskBlocks = map[string]bool{
		"config": true, "env": true, "resources": true, "artifact": true, "template": true,
		"vault": true, "consul": true, "identity": true, "csi_plugin": true, "logs": true,
		"meta": true, "volume_mount": true, "secret": true,
	}
	destructiveTaskAttrs = map[string]bool{"driver": true, "user": true, "env": true, "meta": true}
	repeatableBlocks     = map[string]bool{
		"artifact": true, "template": true, "volume_mount": true, "affinity": true, "spread": true,
		"network": true, "identity": true, "secret": true, "volume": true,
	}
)

func (l *loader) group(b *hclsyntax.Block, jc *jobContext) (GroupSpec, rollout.Group, bool) {
	if len(b.Labels) != 1 {
		l.fail(b.TypeRange, "a group block takes one label, its name")
		return GroupSpec{}, rollout.Group{}, false
	}
	inherited := len(jc.fields)
	for _, bl := range []*hclsyntax.Block{jc.reschedule, jc.migrate} {
		if bl != nil {
			inherited += l.bodySize(bl.Body)
		}
	}
	if !l.spend(itemCost+inherited, b.TypeRange) {
		return GroupSpec{}, rollout.Group{}, false
	}
	gs := GroupSpec{Name: b.Labels[0], Pos: pos(b.TypeRange), analysisAt: jc.analysisAt}
	gix := indexer{}
	g := rollout.Group{Name: b.Labels[0], Count: 1}
	gs.Fields = append(gs.Fields, jc.fields...)
	countSet := false
	scalingMin := -1
	var svcChecks []string
	var reschedule []*hclsyntax.Block
	if jc.reschedule != nil {
		reschedule = append(reschedule, jc.reschedule)
	}
	if jc.migrate != nil {
		l.record(jc.migrate, "migrate", migrateKinds, &gs.migrate)
	}
	its, restore := l.items(b.Body)
	defer restore()
	l.unexpected(its, "group", groupNames)
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			v, ok := l.eval(a.Expr)
			if !ok {
				continue
			}
			switch a.Name {
			case "count":
				n, ok := asInt(as(v, cty.Number))
				if !ok {
					l.fail(a.SrcRange, "count must be a whole number, not %s", l.shown(v))
					continue
				}
				g.Count, countSet = n, true
			case "meta":
				gs.Fields = append(gs.Fields, flattenValue("Group Meta", "", v)...)
			case "max_client_disconnect", "stop_after_client_disconnect", "prevent_reschedule_on_lost":
				l.oldDisconnect(a, v, &gs.oldDisconnect)
			}
			continue
		}
		bl := it.block
		switch bl.Type {
		case "task":
			t, checks, ok := l.task(bl, jc.id, gs.Name)
			if ok {
				gs.Tasks = append(gs.Tasks, t)
				g.Tasks = append(g.Tasks, t.Name)
				svcChecks = append(svcChecks, checks...)
			}
		case "update":
			var at map[string]Pos
			g.Update, at = l.update(bl)
			gs.UpdatePos = pos(bl.TypeRange)
			if at != nil {
				gs.analysisAt = at // the merge takes the group's block whole
			}
		case "reschedule":
			l.unexpectedIn(bl, "reschedule", rescheduleNames)
			reschedule = append(reschedule, bl)
		case "restart":
			l.unexpectedIn(bl, "restart", restartNames)
			l.record(bl, "restart", restartKinds, &gs.restart)
		case "migrate":
			l.unexpectedIn(bl, "migrate", migrateNames)
			l.record(bl, "migrate", migrateKinds, &gs.migrate)
		case "disconnect":
			l.unexpectedIn(bl, "disconnect", disconnectNames)
			l.record(bl, "disconnect", disconnectKinds, &gs.disconnect)
		case "service":
			name := jc.id + "-" + gs.Name
			svcChecks = append(svcChecks, l.service(bl, name)...)
			for _, c := range bl.Body.Blocks {
				if c.Type == "connect" {
					sidecar := slices.ContainsFunc(c.Body.Blocks, func(b *hclsyntax.Block) bool { return b.Type == "sidecar_service" })
					fs := l.indexed("Connect", c, gix)
					gs.Fields = append(gs.Fields, connectFields(fs, l.attrText(bl, "name"), l.attrText(bl, "port"), l.attrText(bl, "cluster"), sidecar)...)
				}
			}
		case "scaling":
			l.unexpectedIn(bl, "scaling", scalingNames)
			l.record(bl, "scaling", scalingKinds, &gs.scaling)
			scalingMin = value(&gs.scaling, "min", scalingMin)
		case "meta":
			gs.Fields = append(gs.Fields, l.flattenBlock("Group Meta", bl)...)
		default:
			if destructiveGroupBlocks[bl.Type] {
				if repeatableBlocks[bl.Type] {
					gs.Fields = append(gs.Fields, l.indexed(sectionName(bl.Type), bl, gix)...)
				} else {
					gs.Fields = append(gs.Fields, l.flattenBlock(sectionName(bl.Type), bl)...)
				}
			}
		}
	}
	if !countSet && scalingMin >= 0 {
		g.Count = scalingMin
	}
	g.Reschedule = l.reschedule(reschedule, &gs.reschedule)
	g.Disconnect = gs.disconnectBlock()
	g.Checks = uniqueNames(svcChecks)
	finishRestart(&gs)
	sortFields(gs.Fields)
	g.Spec = fingerprint(&gs)
	g.Definition = l.groupDefinition(b, gs.Name)
	return gs, g, true
}

// task reads a task block: its destructive fields and its check names.
func (l *loader) task(b *hclsyntax.Block, jobID, group string) (TaskSpec, []string, bool) {
	if len(b.Labels) != 1 {
		l.fail(b.TypeRange, "a task block takes one label, its name")
		return TaskSpec{}, nil, false
	}
	t := TaskSpec{Name: b.Labels[0], Pos: pos(b.TypeRange)}
	tix := indexer{}
	var checks []string
	its, restore := l.items(b.Body)
	defer restore()
	l.unexpected(its, "task", taskNames)
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			if a.Name == "leader" {
				if v, ok := l.eval(a.Expr); ok {
					if v = as(v, cty.Bool); v.Type() != cty.Bool || v.IsNull() {
						l.fail(a.SrcRange, "leader must be true or false")
					} else {
						t.leader = v.True()
					}
				}
				continue
			}
			if !destructiveTaskAttrs[a.Name] {
				continue
			}
			v, ok := l.eval(a.Expr)
			if !ok {
				continue
			}
			switch a.Name {
			case "env", "meta":
				t.Fields = append(t.Fields, flattenValue(sectionName(a.Name), "", v)...)
			default:
				t.Fields = append(t.Fields, Field{Key: sectionName(a.Name), Value: render(v)})
			}
			continue
		}
		bl := it.block
		switch {
		case bl.Type == "restart":
			l.unexpectedIn(bl, "restart", restartNames)
			l.record(bl, "restart", restartKinds, &t.restart)
		case bl.Type == "lifecycle":
			l.unexpectedIn(bl, "lifecycle", lifecycleNames)
			l.record(bl, "lifecycle", lifecycleKinds, &t.life)
		case bl.Type == "logs" || bl.Type == "resources":
			t.Fields = append(t.Fields, taskBlockFields(bl.Type, l.flattenBlock(sectionName(bl.Type), bl))...)
		case bl.Type == "service":
			checks = append(checks, l.service(bl, jobID+"-"+group+"-"+t.Name)...)
		case bl.Type == "identity" && len(bl.Labels) == 0 && len(bl.Body.Attributes) == 0 && len(bl.Body.Blocks) == 0:
			// An empty identity block is Nomad's default identity.
		case destructiveTaskBlocks[bl.Type] && repeatableBlocks[bl.Type]:
			t.Fields = append(t.Fields, l.indexed(sectionName(bl.Type), bl, tix)...)
		case destructiveTaskBlocks[bl.Type]:
			fs := l.flattenBlock(sectionName(bl.Type), bl)
			if len(fs) == 0 {
				fs = []Field{{Section: sectionName(bl.Type), Value: "{}"}}
			}
			t.Fields = append(t.Fields, fs...)
		}
	}
	sortFields(t.Fields)
	return t, checks, true
}

// service returns the names of a service's checks that gate health:
// Nomad names an unnamed check `service: "<service>" check`; a check with
// on_update = "ignore" does not count.
func (l *loader) service(b *hclsyntax.Block, defaultName string) []string {
	name := defaultName
	if a, ok := b.Body.Attributes["name"]; ok {
		if v, ok := l.eval(a.Expr); ok && v.Type() == cty.String && !v.IsNull() {
			name = v.AsString()
		}
	}
	var out []string
	for _, c := range b.Body.Blocks {
		if c.Type != "check" {
			continue
		}
		if a, ok := c.Body.Attributes["on_update"]; ok {
			if v, ok := l.eval(a.Expr); ok && v.Type() == cty.String && !v.IsNull() && v.AsString() == "ignore" {
				continue
			}
		}
		cn := fmt.Sprintf("service: %q check", name)
		if a, ok := c.Body.Attributes["name"]; ok {
			if v, ok := l.eval(a.Expr); ok && v.Type() == cty.String && !v.IsNull() {
				cn = v.AsString()
			}
		}
		out = append(out, cn)
	}
	return out
}

// uniqueNames numbers repeated names: a, a (2), ...
func uniqueNames(names []string) []string {
	seen := map[string]int{}
	var out []string
	for _, n := range names {
		seen[n]++
		if seen[n] > 1 {
			n = fmt.Sprintf("%s (%d)", n, seen[n])
		}
		out = append(out, n)
	}
	return out
}

// update reads an update block through rollout.UpdateBlock's strict JSON
// decoder, so its rules and messages are the core's. It also returns where
// the fields of its analysis block are written (see analysis.go), nil when
// it has none.
func (l *loader) update(b *hclsyntax.Block) (*rollout.UpdateBlock, map[string]Pos) {
	var doc bytes.Buffer // the attributes in file order, so problems are
	doc.WriteByte('{')
	at := map[string]hcl.Range{}
	fromFile := map[string]bool{}
	for _, a := range sortedAttrs(b.Body) {
		if a.Name == "analysis" {
			l.fail(a.NameRange, "analysis is a block in an update block: analysis { ... }")
			continue
		}
		v, ok := l.eval(a.Expr)
		if !ok {
			continue
		}
		fromFile[a.Name] = l.fromFile
		switch a.Name {
		case "max_parallel", "canary":
			v = as(v, cty.Number)
		case "auto_revert", "auto_promote":
			v = as(v, cty.Bool)
		case "health_check", "min_healthy_time", "healthy_deadline", "progress_deadline", "stagger", "gate_timeout", "on_gate_timeout":
			v = as(v, cty.String)
		}
		// max_surge, max_unavailable and the items of pause_after are
		// numbers or percentages ("25%"): kept as written.
		raw, err := ctyJSON(v)
		if err != nil {
			l.fail(a.SrcRange, "update.%s: %v", a.Name, err)
			continue
		}
		if doc.Len() > 1 {
			doc.WriteByte(',')
		}
		name, _ := json.Marshal(a.Name)
		doc.Write(name)
		doc.WriteByte(':')
		doc.Write(raw)
		at[a.Name] = a.SrcRange
	}
	analysed := false
	for _, bl := range b.Body.Blocks {
		switch {
		case bl.Type != "analysis":
			l.fail(bl.TypeRange, "unsupported block %q in an update block", bl.Type)
		case analysed:
			l.fail(bl.TypeRange, "an update block takes one analysis block")
		default:
			analysed = true
			raw := l.analysis(bl, at, fromFile)
			if doc.Len() > 1 {
				doc.WriteByte(',')
			}
			doc.WriteString(`"analysis":`)
			doc.Write(raw)
		}
	}
	doc.WriteByte('}')
	data := doc.Bytes()
	var ub rollout.UpdateBlock
	if err := ub.UnmarshalJSON(data); err != nil {
		var me *multierror.Error
		if errors.As(err, &me) {
			for _, e := range me.Errors {
				var fe *rollout.FieldError
				r := b.TypeRange
				msg := "update." + e.Error()
				if errors.As(e, &fe) {
					if ar, ok := at[fe.Field]; ok {
						r = ar
					}
					if fromFile[fe.Field] {
						// Its message shows the value: not this one.
						msg, e = fmt.Sprintf("update.%s (a value read from a file): %s", fe.Field, fe.Problem), nil
					}
				}
				l.add(&Error{Pos: pos(r), Msg: msg, Err: e})
			}
		}
		return nil, nil
	}
	return &ub, analysisPositions(at)
}

// ctyJSON encodes a value for the update block decoder: strings, whole
// numbers, booleans and lists of them (pause_after) as JSON.
func ctyJSON(v cty.Value) (json.RawMessage, error) {
	switch {
	case v.IsNull():
		return json.RawMessage("null"), nil
	case v.Type() == cty.String:
		return json.Marshal(v.AsString())
	case v.Type() == cty.Bool:
		return json.Marshal(v.True())
	case v.Type() == cty.Number:
		return json.RawMessage(v.AsBigFloat().Text('f', -1)), nil
	case v.IsKnown() && (v.Type().IsTupleType() || v.Type().IsListType()):
		items := []json.RawMessage{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			raw, err := ctyJSON(e)
			if err != nil {
				return nil, err
			}
			items = append(items, raw)
		}
		return json.Marshal(items)
	}
	return nil, fmt.Errorf("must be a string, a number, a boolean or a list of them, not %s", v.Type().FriendlyName())
}

// reschedule merges the job's and the group's reschedule blocks (the
// group's win) into a policy, and records what they wrote in w.
func (l *loader) reschedule(blocks []*hclsyntax.Block, w *written) rollout.ReschedulePolicy {
	for _, b := range blocks {
		l.record(b, "reschedule", rescheduleKinds, w)
	}
	return w.reschedulePolicy()
}

// record reads block b (of kind reschedule, restart, ...) into w: each
// argument of kinds, by its kind, reporting a value of the wrong type.
// Other arguments are left to unexpected.
func (l *loader) record(b *hclsyntax.Block, kind string, kinds map[string]valueKind, w *written) {
	w.given(pos(b.TypeRange))
	for _, a := range sortedAttrs(b.Body) {
		k, known := kinds[a.Name]
		if !known {
			continue
		}
		v, ok := l.eval(a.Expr)
		if !ok {
			continue
		}
		switch k {
		case kindDuration:
			v = as(v, cty.String)
			if v.Type() != cty.String || v.IsNull() {
				l.fail(a.SrcRange, "%s.%s must be a duration string such as \"30s\"", kind, a.Name)
				continue
			}
			d, err := time.ParseDuration(v.AsString())
			if err != nil {
				if l.fromFile {
					l.fail(a.SrcRange, "%s.%s (a value read from a file): must be a duration such as \"30s\"", kind, a.Name)
					continue
				}
				l.fail(a.SrcRange, "%s.%s = %q: must be a duration such as \"30s\"", kind, a.Name, v.AsString())
				continue
			}
			w.set(a.Name, d, pos(a.SrcRange))
		case kindString:
			v = as(v, cty.String)
			if v.Type() != cty.String || v.IsNull() {
				l.fail(a.SrcRange, "%s.%s must be a string", kind, a.Name)
				continue
			}
			w.set(a.Name, v.AsString(), pos(a.SrcRange))
		case kindInt:
			n, ok := asInt(as(v, cty.Number))
			if !ok {
				l.fail(a.SrcRange, "%s.%s must be a whole number", kind, a.Name)
				continue
			}
			w.set(a.Name, n, pos(a.SrcRange))
		case kindBool:
			v = as(v, cty.Bool)
			if v.Type() != cty.Bool || v.IsNull() {
				l.fail(a.SrcRange, "%s.%s must be true or false", kind, a.Name)
				continue
			}
			w.set(a.Name, v.True(), pos(a.SrcRange))
		}
	}
}
