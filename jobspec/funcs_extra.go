package jobspec

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// moreFunctions are the other functions of Nomad's job files that do not
// depend on the cluster or the host: encodings, hashes, paths, UUIDs, try
// and can.
func moreFunctions() map[string]function.Function {
	str := func(f func(string) (string, error)) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "s", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				out, err := f(args[0].AsString())
				if err != nil {
					return cty.NilVal, err
				}
				return cty.StringVal(out), nil
			},
		})
	}
	pred := func(f func(s, sub string) bool) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "s", Type: cty.String}, {Name: "sub", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
			},
		})
	}
	hash := func(sum func([]byte) []byte) function.Function {
		return str(func(s string) (string, error) { return hex.EncodeToString(sum([]byte(s))), nil })
	}
	return map[string]function.Function{
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		"base64encode": str(func(s string) (string, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil }),
		"base64decode": str(func(s string) (string, error) {
			b, err := base64.StdEncoding.DecodeString(s)
			return string(b), err
		}),
		"urlencode":   str(func(s string) (string, error) { return url.QueryEscape(s), nil }),
		"basename":    str(func(s string) (string, error) { return filepath.Base(s), nil }),
		"dirname":     str(func(s string) (string, error) { return filepath.Dir(s), nil }),
		"md5":         hash(func(b []byte) []byte { s := md5.Sum(b); return s[:] }),
		"sha1":        hash(func(b []byte) []byte { s := sha1.Sum(b); return s[:] }),
		"sha256":      hash(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }),
		"sha512":      hash(func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }),
		"strcontains": pred(strings.Contains), "startswith": pred(strings.HasPrefix), "endswith": pred(strings.HasSuffix),
		// uuidv4 is random, as in Nomad: a job using it in a destructive
		// field changes its Spec at every load, as it would at every submit.
		"uuidv4": function.New(&function.Spec{
			Type: function.StaticReturnType(cty.String),
			Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
				var b [16]byte
				_, _ = rand.Read(b[:])
				b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
				return cty.StringVal(formatUUID(b)), nil
			},
		}),
		"uuidv5": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "namespace", Type: cty.String}, {Name: "name", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				ns, ok := map[string]string{
					"dns": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "url": "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
					"oid": "6ba7b812-9dad-11d1-80b4-00c04fd430c8", "x500": "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
				}[args[0].AsString()]
				if !ok {
					ns = args[0].AsString()
				}
				raw, err := hex.DecodeString(strings.ReplaceAll(ns, "-", ""))
				if err != nil || len(raw) != 16 {
					return cty.NilVal, fmt.Errorf("namespace %q is not dns, url, oid, x500 or a UUID", args[0].AsString())
				}
				h := sha1.New()
				h.Write(raw)
				h.Write([]byte(args[1].AsString()))
				var b [16]byte
				copy(b[:], h.Sum(nil))
				b[6], b[8] = b[6]&0x0f|0x50, b[8]&0x3f|0x80
				return cty.StringVal(formatUUID(b)), nil
			},
		}),
	}
}

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// userHomeDir is the host's home directory, for pathexpand.
func userHomeDir() (string, error) { return os.UserHomeDir() }

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
