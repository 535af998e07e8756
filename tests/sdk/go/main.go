// Command sdkconformance drives the WeChat Pay sandbox with wechatpay-go v0.2.21, used as it
// is: its clients, verifiers, certificate downloader and notify.Handler. It reads a Config on
// stdin and prints one JSON object: for every flow, what the SDK observed, or its error.
// tests/sdk/test_wechatpay_go.py checks each flow against what the sandbox itself reports.
package main

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	"github.com/wechatpay-apiv3/wechatpay-go/core/downloader"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// Run holds what every flow needs and collects what each one observed.
type Run struct {
	ctx        context.Context
	config     Config
	key        *rsa.PrivateKey
	publicKey  *rsa.PublicKey
	http       *http.Client
	control    Control
	receiver   *Receiver
	results    map[string]any
	orderCount int
}

func (r *Run) flow(name string, body func() (map[string]any, error)) {
	observed, err := body()
	if err != nil {
		if observed == nil {
			observed = map[string]any{}
		}
		observed["error"] = err.Error()
	}
	r.results[name] = observed
}

func (r *Run) outTradeNo(tag string) string {
	r.orderCount++
	return fmt.Sprintf("GO%s%d%d", tag, time.Now().UnixNano()%1_000_000_000, r.orderCount)
}

func (r *Run) publicKeyClient() (*core.Client, error) {
	return core.NewClient(r.ctx,
		option.WithWechatPayPublicKeyAuthCipher(
			r.config.MchID, r.config.MerchantSerial, r.key, r.config.PublicKeyID, r.publicKey),
		option.WithHTTPClient(r.http))
}

// certificateManager is the SDK's downloader manager, refreshing every 100 ms (the SDK's
// default is 24 h) so that a rotation is seen within the run.
func (r *Run) certificateManager() (*downloader.CertificateDownloaderMgr, error) {
	downloads, err := core.NewClient(r.ctx,
		option.WithMerchantCredential(r.config.MchID, r.config.MerchantSerial, r.key),
		option.WithoutValidator(),
		option.WithHTTPClient(r.http))
	if err != nil {
		return nil, err
	}
	mgr := downloader.NewCertificateDownloaderMgrWithInterval(r.ctx, 100*time.Millisecond)
	if err := mgr.RegisterDownloaderWithClient(r.ctx, downloads, r.config.MchID, r.config.APIv3Key); err != nil {
		mgr.Stop()
		return nil, err
	}
	return mgr, nil
}

func (r *Run) certificateClient(mgr *downloader.CertificateDownloaderMgr) (*core.Client, error) {
	return core.NewClient(r.ctx,
		option.WithWechatPayAutoAuthCipherUsingDownloaderMgr(
			r.config.MchID, r.config.MerchantSerial, r.key, mgr),
		option.WithHTTPClient(r.http))
}

func (r *Run) prepay(client *core.Client, outTradeNo string, total int64) (*native.PrepayResponse, error) {
	api := native.NativeApiService{Client: client}
	response, _, err := api.Prepay(r.ctx, native.PrepayRequest{
		Appid:       core.String(r.config.AppID),
		Mchid:       core.String(r.config.MchID),
		Description: core.String("wechatpay-go 一致性"),
		OutTradeNo:  core.String(outTradeNo),
		NotifyUrl:   core.String(r.receiver.URL),
		Amount:      &native.Amount{Total: core.Int64(total), Currency: core.String("CNY")},
	})
	return response, err
}

func (r *Run) query(client *core.Client, outTradeNo string) (map[string]any, error) {
	api := native.NativeApiService{Client: client}
	transaction, result, err := api.QueryOrderByOutTradeNo(r.ctx, native.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(outTradeNo), Mchid: core.String(r.config.MchID),
	})
	if err != nil {
		return nil, err
	}
	observed := map[string]any{
		"trade_state":    deref(transaction.TradeState),
		"out_trade_no":   deref(transaction.OutTradeNo),
		"transaction_id": deref(transaction.TransactionId),
		"answer_serial":  result.Response.Header.Get("Wechatpay-Serial"),
	}
	if transaction.Amount != nil {
		observed["amount_total"] = deref(transaction.Amount.Total)
		observed["amount_currency"] = deref(transaction.Amount.Currency)
	}
	return observed, nil
}

func deref[T any](value *T) any {
	if value == nil {
		return nil
	}
	return *value
}

func (r *Run) notifyHandler(verifier interface {
	Verify(ctx context.Context, serialNumber, message, signature string) error
	GetSerial(ctx context.Context) (string, error)
}) (*notify.Handler, error) {
	return notify.NewRSANotifyHandler(r.config.APIv3Key, verifier)
}

func (r *Run) payAndAwait(outTradeNo string) (Notify, error) {
	if err := r.control.pay(outTradeNo); err != nil {
		return Notify{}, err
	}
	return r.receiver.next("out_trade_no", outTradeNo)
}

func (r *Run) authorization() (map[string]any, error) {
	signer := &signers.SHA256WithRSASigner{
		MchID: r.config.MchID, CertificateSerialNo: r.config.MerchantSerial, PrivateKey: r.key,
	}
	var headers []string
	for _, v := range r.config.Vectors {
		message := fmt.Sprintf(consts.SignatureMessageFormat, v.Method, v.URL, v.Timestamp, v.Nonce, v.Body)
		signed, err := signer.Sign(r.ctx, message)
		if err != nil {
			return nil, err
		}
		headers = append(headers, fmt.Sprintf(consts.HeaderAuthorizationFormat,
			"WECHATPAY2-"+signer.Algorithm(), signed.MchID, v.Nonce, v.Timestamp,
			signed.CertificateSerialNo, signed.Signature))
	}
	return map[string]any{"headers": headers}, nil
}

func main() {
	var config Config
	if err := json.NewDecoder(os.Stdin).Decode(&config); err != nil {
		fail(err)
	}
	key, err := utils.LoadPrivateKeyWithPath(config.MerchantKey)
	if err != nil {
		fail(err)
	}
	publicKey, err := utils.LoadPublicKeyWithPath(config.PublicKey)
	if err != nil {
		fail(err)
	}
	client, err := sandboxHTTPClient(config)
	if err != nil {
		fail(err)
	}
	receiver, err := newReceiver()
	if err != nil {
		fail(err)
	}
	defer receiver.close()
	run := &Run{
		ctx: context.Background(), config: config, key: key, publicKey: publicKey, http: client,
		control:  Control{config.Control, &http.Client{Timeout: 10 * time.Second}},
		receiver: receiver, results: map[string]any{},
	}
	run.flow("authorization", run.authorization)
	run.publicKeyFlows()
	run.certificateFlows()
	run.switchFlows()
	if err := json.NewEncoder(os.Stdout).Encode(run.results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
