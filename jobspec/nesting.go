package jobspec

import "bytes"

// HCL's parser recurses once (or several times) per level of nesting and
// its evaluator once per operator, and a Go stack overflow cannot be
// recovered: a job file nested too deep must be refused before it is
// parsed. hclNesting scans the source as HCL's scanner reads it (comments,
// quoted strings and their escapes, heredocs, interpolations and template
// directives) and counts, conservatively, the levels the parser and the
// evaluator will recurse through:
//   - every bracket, parenthesis and brace, quoted string, heredoc,
//     interpolation (${ and %{) and %{if} or %{for} directive open a
//     level until they close;
//   - every operator (unary or binary, ?, and an index bracket or splat
//     after an operand) adds a level until the item it is in ends (a
//     comma, an =, or a new line in a body or an object).
//
// It also refuses a number literal whose exponent is beyond 1000, which
// would be written out as that many digits, and a source of more than
// Limits.Tokens tokens (the parser's tokens and syntax tree take several
// hundred bytes each; the text of strings, heredocs and comments does not
// count).

// frame kinds of the scanner's stack.
const (
	frameBody      = iota // the file, a block body or an object: new lines separate items
	frameParen            // ( or [: new lines do not
	frameInterp           // ${ or %{ of a template, closed by }
	frameString           // a quoted string
	frameHeredoc          // a heredoc
	frameDirective        // %{if} or %{for}, closed by %{endif} or %{endfor}
)

type frame struct {
	kind   int
	ops    int    // operators pending in the current item
	marker []byte // a heredoc's closing marker
}

// nestingError reports the first place a source nests deeper than max,
// or has a number literal too large: its byte offset and what.
type nestingError struct {
	off  int
	what string
}

func hclNesting(src []byte, lim Limits) *nestingError {
	s := &nestScan{src: src, max: lim.Depth, maxTokens: lim.Tokens, stack: []frame{{kind: frameBody}}}
	return s.run()
}

type nestScan struct {
	src       []byte
	max       int
	maxTokens int
	tokens    int // names, numbers, operators, brackets, separators, strings and interpolations
	stack     []frame
	depth     int  // len(stack)-1 plus every frame's ops
	afterOp   bool // the last token was an operator, a separator or an opening: the item goes on
}

func (s *nestScan) top() *frame { return &s.stack[len(s.stack)-1] }

func (s *nestScan) push(f frame, at int) *nestingError {
	s.stack = append(s.stack, f)
	s.depth++
	return s.deep(at)
}

func (s *nestScan) pop() {
	if len(s.stack) == 1 {
		return
	}
	s.depth -= 1 + s.top().ops
	s.stack = s.stack[:len(s.stack)-1]
}

func (s *nestScan) op(at int) *nestingError {
	s.top().ops++
	s.depth++
	return s.deep(at)
}

func (s *nestScan) endItem() {
	s.depth -= s.top().ops
	s.top().ops = 0
}

func (s *nestScan) deep(at int) *nestingError {
	if s.depth > s.max {
		return &nestingError{off: at, what: "nesting"}
	}
	return nil
}

func (s *nestScan) template() bool {
	k := s.top().kind
	return k == frameString || k == frameHeredoc || k == frameDirective
}

func (s *nestScan) run() *nestingError {
	src := s.src
	lineStart := true
	for i := 0; i < len(src); {
		if s.template() {
			n, err := s.templateByte(i, lineStart)
			if err != nil {
				return err
			}
			lineStart = src[i+n-1] == '\n'
			i += n
			continue
		}
		lineStart = false
		c := src[i]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#' && c != '/' {
			s.tokens++
			if s.tokens > s.maxTokens {
				return &nestingError{off: i, what: "tokens"}
			}
		}
		switch {
		case c == '\n':
			if k := s.top().kind; k == frameBody && !s.afterOp {
				s.endItem()
			}
			lineStart = true
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || (c == '/' && i+1 < len(src) && src[i+1] == '/'):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				return nil
			}
			i += end + 4
		case c == '"':
			if err := s.push(frame{kind: frameString}, i); err != nil {
				return err
			}
			i++
		case c == '<' && i+1 < len(src) && src[i+1] == '<':
			n, marker := heredocStart(src[i:])
			if n == 0 {
				if err := s.op(i); err != nil {
					return err
				}
				s.afterOp = true
				i += 2
				continue
			}
			if err := s.push(frame{kind: frameHeredoc, marker: marker}, i); err != nil {
				return err
			}
			i += n
			lineStart = true
		case c == '(' || c == '[' || c == '{':
			if c == '[' && !s.afterOp {
				// An index after an operand nests the expression.
				if err := s.op(i); err != nil {
					return err
				}
			}
			kind := frameParen
			if c == '{' {
				kind = frameBody
			}
			if err := s.push(frame{kind: kind}, i); err != nil {
				return err
			}
			s.afterOp = true
			i++
		case c == ')' || c == ']' || c == '}':
			if k := s.top().kind; k == frameParen || k == frameBody || k == frameInterp {
				s.pop()
			}
			s.afterOp = false
			i++
		case c == ',' || c == ';':
			s.endItem()
			s.afterOp = true
			i++
		case c == '=' && i+1 < len(src) && src[i+1] == '=':
			if err := s.op(i); err != nil {
				return err
			}
			s.afterOp = true
			i += 2
		case c == '=':
			s.endItem()
			s.afterOp = true
			i++
			if i < len(src) && src[i] == '>' {
				i++
			}
		case c == ':':
			s.afterOp = true
			i++
		case c == '.':
			if i+2 < len(src) && src[i+1] == '.' && src[i+2] == '.' {
				s.afterOp = true
				i += 3
				continue
			}
			if i+1 < len(src) && src[i+1] == '*' {
				if err := s.op(i); err != nil {
					return err
				}
				i++
			}
			s.afterOp = true
			i++
		case c >= '0' && c <= '9':
			n, big := numberLiteral(src[i:])
			if big {
				return &nestingError{off: i, what: "number"}
			}
			s.afterOp = false
			i += n
		case c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			for i < len(src) && identByte(src[i]) {
				i++
			}
			s.afterOp = false
		case bytes.IndexByte([]byte("+-*/%!?<>&|"), c) >= 0:
			if err := s.op(i); err != nil {
				return err
			}
			s.afterOp = true
			i++
			if i < len(src) && (src[i] == '=' || src[i] == '&' || src[i] == '|') {
				i++
			}
		default:
			i++
		}
	}
	return nil
}

// templateByte scans template text (a quoted string, a heredoc, a
// directive's body) at i, returning how many bytes it read.
func (s *nestScan) templateByte(i int, lineStart bool) (int, *nestingError) {
	src := s.src
	c := src[i]
	if lineStart {
		if h := s.heredoc(); h != nil {
			j := i
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			if bytes.HasPrefix(src[j:], h.marker) {
				k := j + len(h.marker)
				if k == len(src) || src[k] == '\n' || src[k] == '\r' {
					s.popTemplate(frameHeredoc)
					s.afterOp = false
					return k - i, nil
				}
			}
		}
	}
	quoted := s.quoted()
	switch {
	case c == '\\' && quoted:
		return min(2, len(src)-i), nil
	case c == '"' && quoted:
		s.popTemplate(frameString)
		s.afterOp = false
		return 1, nil
	case c == '\n' && quoted:
		// HCL ends an unterminated string at the line's end.
		s.popTemplate(frameString)
		s.afterOp = false
		return 1, nil
	case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
		return 3, nil // $${ and %%{ are literal
	case c == '$' && i+1 < len(src) && src[i+1] == '{':
		s.afterOp = true
		s.tokens++ // the closing brace is counted in the expression
		return 2, s.push(frame{kind: frameInterp}, i)
	case c == '%' && i+1 < len(src) && src[i+1] == '{':
		j := i + 2
		for j < len(src) && (src[j] == '~' || src[j] == ' ' || src[j] == '\t') {
			j++
		}
		word := j
		for j < len(src) && identByte(src[j]) {
			j++
		}
		switch string(src[word:j]) {
		case "if", "for":
			if err := s.push(frame{kind: frameDirective}, i); err != nil {
				return 0, err
			}
		case "endif", "endfor":
			if s.top().kind == frameDirective {
				s.pop()
			}
		}
		s.afterOp = true
		return 2, s.push(frame{kind: frameInterp}, i)
	}
	return 1, nil
}

// heredoc returns the innermost heredoc frame the template text is in, if
// it is in one.
func (s *nestScan) heredoc() *frame {
	for j := len(s.stack) - 1; j > 0; j-- {
		switch s.stack[j].kind {
		case frameHeredoc:
			return &s.stack[j]
		case frameString:
			return nil
		}
	}
	return nil
}

// quoted reports whether the template text is a quoted string's.
func (s *nestScan) quoted() bool {
	for j := len(s.stack) - 1; j > 0; j-- {
		switch s.stack[j].kind {
		case frameString:
			return true
		case frameHeredoc:
			return false
		}
	}
	return false
}

// popTemplate pops frames up to and including the innermost of kind.
func (s *nestScan) popTemplate(kind int) {
	for len(s.stack) > 1 {
		k := s.top().kind
		s.pop()
		if k == kind {
			return
		}
	}
}

// heredocStart reads "<<EOF\n" or "<<-EOF\n" at the start of b: its length
// and marker, or 0 when b does not start a heredoc.
func heredocStart(b []byte) (int, []byte) {
	i := 2
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && identByte(b[i]) {
		i++
	}
	if i == start {
		return 0, nil
	}
	marker := b[start:i]
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return 0, nil
	}
	return i + 1, marker
}

func identByte(c byte) bool {
	return c == '_' || c == '-' || c >= 0x80 || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// numberLiteral reads a number at the start of b: its length, and whether
// its exponent is beyond 1000.
func numberLiteral(b []byte) (int, bool) {
	i := 0
	digits := func() int {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - start
	}
	digits()
	if i+1 < len(b) && b[i] == '.' && b[i+1] >= '0' && b[i+1] <= '9' {
		i++
		digits()
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		n := digits()
		exp := 0
		for _, d := range b[start : start+n] {
			exp = exp*10 + int(d-'0')
			if exp > 1000 {
				return i, true
			}
		}
	}
	return i, false
}

// jsonShape scans a JSON document for its nesting (arrays and objects) and
// its number of values, counted conservatively (every comma, colon and
// opening bracket outside strings). It returns where the document first
// goes beyond maxDepth or maxValues, and which, or -1.
func jsonShape(src []byte, maxDepth, maxValues int) (off int, deep bool) {
	inString := false
	depth, values := 0, 1
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			values++
			if depth > maxDepth {
				return i, true
			}
		case ']', '}':
			depth--
		case ',', ':':
			values++
		}
		if values > maxValues {
			return i, false
		}
	}
	return -1, false
}
