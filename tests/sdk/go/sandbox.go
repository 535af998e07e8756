package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Config is what the pytest side hands over on stdin: where the sandbox listens and the
// merchant's v3 credentials it generated.
type Config struct {
	API            string   `json:"api"`     // the sandbox's HTTPS listener
	Control        string   `json:"control"` // its plain-HTTP control API
	CA             string   `json:"ca"`
	AppID          string   `json:"appid"`
	MchID          string   `json:"mchid"`
	MerchantSerial string   `json:"merchant_serial"`
	MerchantKey    string   `json:"merchant_key"`
	PublicKey      string   `json:"public_key"`
	PublicKeyID    string   `json:"public_key_id"`
	APIv3Key       string   `json:"apiv3_key"`
	Vectors        []Vector `json:"vectors"`
}

// Vector is one fixed input of the Authorization check.
type Vector struct {
	Method    string `json:"method"`
	URL       string `json:"url"`
	Timestamp int64  `json:"timestamp"`
	Nonce     string `json:"nonce"`
	Body      string `json:"body"`
}

// toSandbox sends every request the SDK addresses to api.mch.weixin.qq.com to the sandbox
// instead. The SDK signs the path and query only, so the host may change underneath it.
type toSandbox struct {
	target *url.URL
	next   http.RoundTripper
}

func (t toSandbox) RoundTrip(request *http.Request) (*http.Response, error) {
	moved := request.Clone(request.Context())
	moved.URL.Scheme = t.target.Scheme
	moved.URL.Host = t.target.Host
	moved.Host = t.target.Host
	return t.next.RoundTrip(moved)
}

func sandboxHTTPClient(config Config) (*http.Client, error) {
	target, err := url.Parse(config.API)
	if err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(config.CA)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", config.CA)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	return &http.Client{Timeout: 10 * time.Second, Transport: toSandbox{target, transport}}, nil
}

// Control is the sandbox's control API: pay an order, switch the key mode, rotate.
type Control struct {
	base string
	http *http.Client
}

func (c Control) call(method, path string, body any) (map[string]any, error) {
	var payload io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		payload = bytes.NewReader(encoded)
	}
	request, err := http.NewRequest(method, c.base+path, payload)
	if err != nil {
		return nil, err
	}
	request.Header.Set("Content-Type", "application/json")
	response, err := c.http.Do(request)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	raw, err := io.ReadAll(response.Body)
	if err != nil {
		return nil, err
	}
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, response.StatusCode, raw)
	}
	answer := map[string]any{}
	return answer, json.Unmarshal(raw, &answer)
}

func (c Control) pay(outTradeNo string) error {
	_, err := c.call("POST", "/sandbox/pay", map[string]any{"out_trade_no": outTradeNo})
	return err
}

func (c Control) keyMode(mode string) (map[string]any, error) {
	return c.call("PUT", "/sandbox/v3", map[string]any{"key_mode": mode})
}

func (c Control) certificates(step string) (map[string]any, error) {
	return c.call("POST", "/sandbox/v3/certificates/"+step, nil)
}
