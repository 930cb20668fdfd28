package main

import "strings"

// translate turns a message into "robot speak": each word reversed, the whole upper-cased.
func translate(msg string) string {
	words := strings.Fields(msg)
	for i, w := range words {
		r := []rune(w)
		for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
			r[a], r[b] = r[b], r[a]
		}
		words[i] = strings.ToUpper(string(r))
	}
	return strings.Join(words, " ")
}
