// The buildme client: reads messages, sends them to the server, prints the replies.
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	server := os.Getenv("BUILDME_SERVER")
	if server == "" {
		server = "http://localhost:3000"
	}
	ui := newUI(os.Stdin, os.Stdout)
	ui.greet()
	scanner := bufio.NewScanner(os.Stdin)
	for ui.prompt(); scanner.Scan(); ui.prompt() {
		msg := scanner.Text()
		if msg == "" {
			continue
		}
		reply, err := sendMessage(server, msg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		ui.show(msg, reply)
	}
	ui.bye()
}
