package phone

import (
	"cmp"
	"encoding/binary"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// MainRegion returns the region of a calling code that RegionFromInput gives
// while the digits after the code do not decide between the regions sharing
// it, such as "US" for 1 and "GB" for 44. For a code of one region it returns
// that region, and for a code of no supported region, such as 800, "".
func MainRegion(callingCode int) string {
	regions := phonenumbers.GetRegionCodesForCountryCode(callingCode)
	if len(regions) == 0 || !isSupportedRegion(regions[0]) {
		return ""
	}
	return regions[0]
}

// RegionPrefixes returns the starts of national significant numbers that
// belong to region alone among the regions sharing its calling code,
// shortest first, such as "204" and "226" for "CA" under +1. No prefix in
// the result starts another prefix of the same calling code. A country
// picker that finds one of them after the typed calling code (and after a
// trunk 0, see SkipsTrunkZero) switches to region, as RegionFromInput does.
//
// It returns nil for a region with a calling code of its own and for the
// main region of a shared code (see MainRegion).
func RegionPrefixes(region string) []string {
	return slices.Clone(prefixTable().byRegion[strings.ToUpper(region)])
}

// SkipsTrunkZero reports whether RegionFromInput ignores a 0 typed right
// after callingCode, as in +44 (0)7624. It does for a shared code whose main
// region writes national numbers with the trunk prefix 0.
func SkipsTrunkZero(callingCode int) bool {
	regions := phonenumbers.GetRegionCodesForCountryCode(callingCode)
	return len(regions) > 1 && isSupportedRegion(regions[0]) &&
		phonenumbers.GetNddPrefixForRegion(regions[0], true) == "0"
}

// regionOfPrefix returns the region that one of RegionPrefixes under
// callingCode starts national with, or "".
func regionOfPrefix(callingCode int, national string) string {
	for _, p := range prefixTable().byCode[callingCode] {
		if strings.HasPrefix(national, p.digits) {
			return p.region
		}
	}
	return ""
}

// maxPrefixDigits bounds how many national digits prefixTable examines
// after a shared calling code: 17, the longest national significant number
// that phonenumbers accepts, so the bound cuts nothing off.
const maxPrefixDigits = 17

// regionPrefixTable contains RegionPrefixes by region and by calling code.
type regionPrefixTable struct {
	byRegion map[string][]string
	byCode   map[int][]regionPrefix
}

// prefixTable computes the regionPrefixTable once from the numbering
// metadata, on first use rather than at init, because it takes about 40 ms
// (measured on the two-core test machine).
var prefixTable = sync.OnceValue(func() *regionPrefixTable {
	collection, err := phonenumbers.MetadataCollection()
	if err != nil {
		// As in metadata: phonenumbers v1.8.1 decodes its embedded metadata
		// in init and panics there on failure.
		panic("phone: reading numbering metadata: " + err.Error())
	}
	regionMetadata := map[string]*phonenumbers.PhoneMetadata{}
	for _, m := range collection.GetMetadata() {
		regionMetadata[m.GetId()] = m
	}

	table := &regionPrefixTable{byRegion: map[string][]string{}, byCode: map[int][]regionPrefix{}}
	for callingCode := range callingCodeLengths() {
		main := MainRegion(callingCode)
		if main == "" {
			continue
		}
		rules := regionRulesFor(callingCode, regionMetadata)
		cursors := make([]ruleCursor, len(rules))
		for i := range rules {
			cursors[i] = rules[i].start()
		}
		finder := &prefixFinder{main: main, memo: map[string][]regionPrefix{}}
		found := finder.walk(cursors, maxPrefixDigits)
		table.byCode[callingCode] = found
		for _, p := range found {
			table.byRegion[p.region] = append(table.byRegion[p.region], p.digits)
		}
	}
	for _, list := range table.byRegion {
		slices.SortFunc(list, func(a, b string) int {
			return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
		})
	}
	return table
})

// prefixFinder walks the national prefixes under one shared calling code.
type prefixFinder struct {
	main string
	// memo contains the results of walk per signature of the cursors and
	// depth. Many prefixes lead to the same automaton states, such as every
	// number under a toll-free code that all regions of +1 share, so
	// without it the walk visits a million prefixes.
	memo map[string][]regionPrefix
}

// regionPrefix is a national prefix, or the part of it below a walk's
// starting point, that numbers of one region alone start with.
type regionPrefix struct {
	digits, region string
}

// walk returns, for the prefix whose automaton states are cursors, each
// shortest extension of it by at most depth digits that only numbers of
// one region other than main start with. It descends while numbers of
// several regions can start with an extension.
func (f *prefixFinder) walk(cursors []ruleCursor, depth int) []regionPrefix {
	if depth == 0 {
		return nil
	}
	key := signature(cursors, depth)
	if found, ok := f.memo[key]; ok {
		return found
	}
	var found []regionPrefix
	for digit := '0'; digit <= '9'; digit++ {
		next := make([]ruleCursor, len(cursors))
		for i, c := range cursors {
			next[i] = c.step(digit)
		}
		regions := regionsOf(next)
		switch {
		case len(regions) == 1 && regions[0] != f.main:
			found = append(found, regionPrefix{string(digit), regions[0]})
		case len(regions) > 1:
			for _, below := range f.walk(next, depth-1) {
				found = append(found, regionPrefix{string(digit) + below.digits, below.region})
			}
		}
	}
	f.memo[key] = found
	return found
}

// signature encodes the states of cursors and the depth left, the whole
// input of walk.
func signature(cursors []ruleCursor, depth int) string {
	b := []byte{byte(depth)}
	add := func(c cursor) {
		if c.matched {
			b = append(b, 'm')
		}
		for _, pc := range c.states {
			b = binary.AppendUvarint(b, uint64(pc))
		}
		b = append(b, '|')
	}
	for _, rc := range cursors {
		add(rc.leadingDigits)
		for _, c := range rc.types {
			add(c)
		}
		b = append(b, '/')
	}
	return string(b)
}

// regionRule is the test by which phonenumbers assigns a number under a
// shared calling code to a region. It tries the code's regions in order and
// takes the first whose leading digits start the national number. A region
// without leading digits takes the number when it is of one of the region's
// types, such as mobile or fixed line.
type regionRule struct {
	region        string
	leadingDigits *prefixMatcher // nil when the region has none
	types         []*prefixMatcher
}

// regionRulesFor returns the rules of the regions sharing callingCode in
// the order phonenumbers tries them. Patterns that do not compile are left
// out.
func regionRulesFor(callingCode int, regionMetadata map[string]*phonenumbers.PhoneMetadata) []regionRule {
	var rules []regionRule
	for _, region := range phonenumbers.GetRegionCodesForCountryCode(callingCode) {
		metadata := regionMetadata[region]
		if metadata == nil || !isSupportedRegion(region) {
			continue
		}
		rule := regionRule{region: region}
		for _, desc := range []*phonenumbers.PhoneNumberDesc{
			metadata.GetFixedLine(), metadata.GetMobile(), metadata.GetTollFree(),
			metadata.GetPremiumRate(), metadata.GetSharedCost(), metadata.GetPersonalNumber(),
			metadata.GetVoip(), metadata.GetPager(), metadata.GetUan(), metadata.GetVoicemail(),
		} {
			if pattern := desc.GetNationalNumberPattern(); pattern != "" {
				if matcher, err := newPrefixMatcher(pattern); err == nil {
					rule.types = append(rule.types, matcher)
				}
			}
		}
		if leading := metadata.GetLeadingDigits(); leading != "" {
			matcher, err := newPrefixMatcher(leading)
			if err != nil {
				continue
			}
			rule.leadingDigits = matcher
		}
		rules = append(rules, rule)
	}
	return rules
}

// ruleCursor is a regionRule part way through a prefix: the automaton
// states of its leading digits and of each of its types.
type ruleCursor struct {
	rule          *regionRule
	leadingDigits cursor
	types         []cursor
}

func (r *regionRule) start() ruleCursor {
	c := ruleCursor{rule: r, types: make([]cursor, len(r.types))}
	if r.leadingDigits != nil {
		c.leadingDigits = r.leadingDigits.start()
	}
	for i, m := range r.types {
		c.types[i] = m.start()
	}
	return c
}

func (c ruleCursor) step(digit rune) ruleCursor {
	next := ruleCursor{rule: c.rule, types: make([]cursor, len(c.types))}
	if c.rule.leadingDigits != nil {
		next.leadingDigits = c.leadingDigits.step(digit)
	}
	for i, t := range c.types {
		next.types[i] = t.step(digit)
	}
	return next
}

// regionsOf returns the regions that valid numbers starting with the prefix
// the cursors have read can belong to, in the order of the cursors. A
// region whose leading digits form the start of the prefix takes every
// such number, so the regions after it are not considered.
func regionsOf(cursors []ruleCursor) []string {
	var regions []string
	for _, c := range cursors {
		if !slices.ContainsFunc(c.types, cursor.alive) {
			continue
		}
		switch {
		case c.rule.leadingDigits == nil:
			regions = append(regions, c.rule.region)
		case c.leadingDigits.matched:
			return append(regions, c.rule.region)
		case c.leadingDigits.alive():
			regions = append(regions, c.rule.region)
		}
	}
	return regions
}

// prefixMatcher runs a regular expression of the numbering metadata on the
// start of a number. It reports whether some completion of a string matches,
// which package regexp cannot do.
type prefixMatcher struct {
	prog *syntax.Prog
}

func newPrefixMatcher(pattern string) (*prefixMatcher, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	return &prefixMatcher{prog: prog}, nil
}

// cursor is the state of a prefixMatcher after part of a string: the
// states that wait for the next character, and whether a match state was
// reached on the way, so that the expression matches a start of the part.
type cursor struct {
	m       *prefixMatcher
	states  []uint32
	matched bool
}

func (m *prefixMatcher) start() cursor {
	states, matched := m.follow(nil, uint32(m.prog.Start))
	return cursor{m: m, states: states, matched: matched}
}

// alive reports whether some completion of the string read so far, possibly
// empty, matches the whole expression. It assumes, as holds for the
// metadata's patterns, that every state can still reach a match.
func (c cursor) alive() bool { return len(c.states) > 0 }

func (c cursor) step(r rune) cursor {
	next := cursor{m: c.m, matched: c.matched}
	for _, pc := range c.states {
		inst := &c.m.prog.Inst[pc]
		if inst.MatchRune(r) {
			var reached bool
			next.states, reached = c.m.follow(next.states, inst.Out)
			next.matched = next.matched || reached
		}
	}
	return next
}

// follow adds to states the character-consuming states reachable from pc
// without consuming a character, and reports whether a match state is
// among those reached. Assertions such as ^ and \b count as satisfied,
// which the metadata's patterns do not use.
func (m *prefixMatcher) follow(states []uint32, pc uint32) ([]uint32, bool) {
	matched := false
	stack := []uint32{pc}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		inst := &m.prog.Inst[pc]
		switch inst.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, inst.Out, inst.Arg)
		case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
			stack = append(stack, inst.Out)
		case syntax.InstMatch:
			matched = true
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if !slices.Contains(states, pc) {
				states = append(states, pc)
			}
		}
	}
	return states, matched
}
