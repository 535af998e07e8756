package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
)

// Notify is one notify as notify.Handler saw it: verified and decrypted, or refused.
type Notify struct {
	Serial        string         `json:"serial"`
	SignatureType string         `json:"signature_type"`
	EventType     string         `json:"event_type"`
	ResourceType  string         `json:"resource_type"`
	Summary       string         `json:"summary"`
	Content       map[string]any `json:"content"`
	Error         string         `json:"error,omitempty"`
}

// Receiver is the merchant's notify_url: every POST goes through the current notify.Handler.
type Receiver struct {
	URL      string
	lock     sync.Mutex
	handler  *notify.Handler
	received chan Notify
	server   *http.Server
}

func newReceiver() (*Receiver, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{
		URL:      fmt.Sprintf("http://%s/notify", listener.Addr()),
		received: make(chan Notify, 64),
	}
	r.server = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.server.Serve(listener) }()
	return r, nil
}

func (r *Receiver) use(handler *notify.Handler) {
	r.lock.Lock()
	defer r.lock.Unlock()
	r.handler = handler
}

func (r *Receiver) serve(writer http.ResponseWriter, request *http.Request) {
	r.lock.Lock()
	handler := r.handler
	r.lock.Unlock()
	seen := Notify{
		Serial:        request.Header.Get("Wechatpay-Serial"),
		SignatureType: request.Header.Get("Wechatpay-Signature-Type"),
	}
	content := map[string]any{}
	parsed, err := handler.ParseNotifyRequest(request.Context(), request, &content)
	if err != nil {
		seen.Error = err.Error()
		writer.WriteHeader(http.StatusBadRequest)
	} else {
		seen.EventType = parsed.EventType
		seen.ResourceType = parsed.ResourceType
		seen.Summary = parsed.Summary
		seen.Content = content
		writer.WriteHeader(http.StatusNoContent)
	}
	r.received <- seen
}

// next waits for the next notify whose decrypted content names the order (or refund) key.
func (r *Receiver) next(field, value string) (Notify, error) {
	give_up := time.After(15 * time.Second)
	for {
		select {
		case seen := <-r.received:
			if seen.Error != "" || seen.Content[field] == value {
				return seen, nil
			}
		case <-give_up:
			return Notify{}, fmt.Errorf("no notify with %s=%s within 15 s", field, value)
		}
	}
}

func (r *Receiver) close() {
	_ = r.server.Shutdown(context.Background())
}
