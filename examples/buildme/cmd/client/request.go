package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

func sendMessage(server, msg string) (string, error) {
	resp, err := httpClient.Post(server+"/translate", "text/plain", strings.NewReader(msg))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("server said %s: %s", resp.Status, body)
	}
	return string(body), nil
}
