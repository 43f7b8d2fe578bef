// client is the echo test client: it sends one request and prints the answer.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"istio.io/istio/pkg/cmd"
)

const binaryName = "client"

func main() {
	c := cmd.New(binaryName, "Echo client: sends one HTTP request and prints the response.")
	url := c.Flags.String("url", "", "URL to request (required)")
	method := c.Flags.String("method", http.MethodGet, "HTTP method")
	timeout := c.Flags.Duration("timeout", 5*time.Second, "time allowed for the whole request")
	var headers []string
	c.Flags.Func("H", "request header as Key:Value (repeatable)", func(h string) error {
		if !strings.Contains(h, ":") {
			return fmt.Errorf("header %q is not Key:Value", h)
		}
		headers = append(headers, h)
		return nil
	})
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}
	if *url == "" {
		c.UsageError("--url is required")
	}

	req, err := http.NewRequest(*method, *url, nil)
	if err != nil {
		c.Fatal(err)
	}
	for _, h := range headers {
		key, value, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(key), strings.TrimSpace(value))
	}
	resp, err := (&http.Client{Timeout: *timeout}).Do(req)
	if err != nil {
		c.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Printf("StatusCode=%d\n", resp.StatusCode)
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		c.Fatal(err)
	}
	if resp.StatusCode >= 400 {
		resp.Body.Close()
		os.Exit(1)
	}
}
