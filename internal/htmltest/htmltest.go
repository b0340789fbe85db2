// Package htmltest finds elements in parsed pages by the attributes a
// person or a browser relies on, so tests check HTML by structure rather
// than by matching strings.
package htmltest

import (
	"strings"

	"golang.org/x/net/html"
)

// Attr returns the value of n's attribute key, or "".
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// Find returns the first element under n, n included, for which match
// reports true, or nil.
func Find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := Find(c, match); found != nil {
			return found
		}
	}
	return nil
}

// Form returns the form that posts to action, or nil.
func Form(doc *html.Node, action string) *html.Node {
	return Find(doc, func(n *html.Node) bool { return n.Data == "form" && Attr(n, "action") == action })
}

// Inputs returns the input elements under form, in document order.
func Inputs(form *html.Node) []*html.Node {
	var out []*html.Node
	Find(form, func(n *html.Node) bool {
		if n.Data == "input" {
			out = append(out, n)
		}
		return false
	})
	return out
}

// ByID returns the element with the id, or nil.
func ByID(doc *html.Node, id string) *html.Node {
	return Find(doc, func(n *html.Node) bool { return Attr(n, "id") == id })
}

// Text returns the text content of n, trimmed; "" for nil.
func Text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var sb strings.Builder
	var collect func(*html.Node)
	collect = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			collect(c)
		}
	}
	collect(n)
	return strings.TrimSpace(sb.String())
}
