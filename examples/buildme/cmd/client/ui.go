package main

import (
	"fmt"
	"io"
)

type ui struct {
	in  io.Reader
	out io.Writer
}

func newUI(in io.Reader, out io.Writer) *ui { return &ui{in: in, out: out} }

func (u *ui) greet()  { fmt.Fprintln(u.out, "Type a message and press Enter (Ctrl-D to quit).") }
func (u *ui) prompt() { fmt.Fprint(u.out, "> ") }
func (u *ui) bye()    { fmt.Fprintln(u.out) }

func (u *ui) show(msg, reply string) {
	fmt.Fprintf(u.out, "you:    %s\nserver: %s\n", msg, reply)
}
