package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/downloader"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

const orderTotal, refundAmount = 101, 40

func notifyObserved(seen Notify, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	observed := map[string]any{
		"serial": seen.Serial, "signature_type": seen.SignatureType, "event_type": seen.EventType,
		"resource_type": seen.ResourceType, "summary": seen.Summary, "content": seen.Content,
	}
	if seen.Error != "" {
		return observed, fmt.Errorf("notify.Handler refused the notify: %s", seen.Error)
	}
	return observed, nil
}

// publicKeyFlows: the WeChat Pay public key mode, every API and both notifies.
func (r *Run) publicKeyFlows() {
	if _, err := r.control.keyMode("public_key"); err != nil {
		r.results["public_key_mode"] = map[string]any{"error": err.Error()}
		return
	}
	client, err := r.publicKeyClient()
	if err != nil {
		r.results["public_key_mode"] = map[string]any{"error": err.Error()}
		return
	}
	handler, err := r.notifyHandler(verifiers.NewSHA256WithRSAPubkeyVerifier(r.config.PublicKeyID, *r.publicKey))
	if err != nil {
		r.results["public_key_mode"] = map[string]any{"error": err.Error()}
		return
	}
	r.receiver.use(handler)
	native_ := native.NativeApiService{Client: client}
	refunds := refunddomestic.RefundsApiService{Client: client}
	outTradeNo := r.outTradeNo("PK")
	outRefundNo := "R" + outTradeNo
	var transactionID string

	r.flow("prepay", func() (map[string]any, error) {
		response, err := r.prepay(client, outTradeNo, orderTotal)
		if err != nil {
			return nil, err
		}
		return map[string]any{"out_trade_no": outTradeNo, "code_url": deref(response.CodeUrl)}, nil
	})
	r.flow("query_unpaid", func() (map[string]any, error) { return r.query(client, outTradeNo) })
	r.flow("payment_notify", func() (map[string]any, error) {
		observed, err := notifyObserved(r.payAndAwait(outTradeNo))
		if err == nil {
			transactionID, _ = observed["content"].(map[string]any)["transaction_id"].(string)
		}
		return observed, err
	})
	r.flow("query_by_out_trade_no", func() (map[string]any, error) { return r.query(client, outTradeNo) })
	r.flow("query_by_id", func() (map[string]any, error) {
		transaction, _, err := native_.QueryOrderById(r.ctx, native.QueryOrderByIdRequest{
			TransactionId: core.String(transactionID), Mchid: core.String(r.config.MchID),
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"transaction_id": deref(transaction.TransactionId),
			"out_trade_no":   deref(transaction.OutTradeNo),
			"trade_state":    deref(transaction.TradeState),
		}, nil
	})
	r.flow("refund_create", func() (map[string]any, error) {
		refund, _, err := refunds.Create(r.ctx, refunddomestic.CreateRequest{
			OutTradeNo:  core.String(outTradeNo),
			OutRefundNo: core.String(outRefundNo),
			NotifyUrl:   core.String(r.receiver.URL),
			Amount: &refunddomestic.AmountReq{
				Refund: core.Int64(refundAmount), Total: core.Int64(orderTotal), Currency: core.String("CNY"),
			},
		})
		if err != nil {
			return nil, err
		}
		return refundObserved(refund), nil
	})
	r.flow("refund_notify", func() (map[string]any, error) {
		return notifyObserved(r.receiver.next("out_refund_no", outRefundNo))
	})
	r.flow("refund_query", func() (map[string]any, error) {
		refund, _, err := refunds.QueryByOutRefundNo(r.ctx, refunddomestic.QueryByOutRefundNoRequest{
			OutRefundNo: core.String(outRefundNo),
		})
		if err != nil {
			return nil, err
		}
		return refundObserved(refund), nil
	})
	r.flow("close", func() (map[string]any, error) {
		closing := r.outTradeNo("CL")
		if _, err := r.prepay(client, closing, orderTotal); err != nil {
			return nil, err
		}
		result, err := native_.CloseOrder(r.ctx, native.CloseOrderRequest{
			OutTradeNo: core.String(closing), Mchid: core.String(r.config.MchID),
		})
		if err != nil {
			return nil, err
		}
		after, err := r.query(client, closing)
		if err != nil {
			return nil, err
		}
		return map[string]any{"status": result.Response.StatusCode, "trade_state": after["trade_state"]}, nil
	})
}

func refundObserved(refund *refunddomestic.Refund) map[string]any {
	observed := map[string]any{
		"out_refund_no": deref(refund.OutRefundNo),
		"refund_id":     deref(refund.RefundId),
		"status":        deref(refund.Status),
	}
	if refund.Amount != nil {
		observed["amount_refund"] = deref(refund.Amount.Refund)
		observed["amount_total"] = deref(refund.Amount.Total)
	}
	return observed
}

func heldSerials(mgr *downloader.CertificateDownloaderMgr, mchID string) []string {
	var serials []string
	for serial := range mgr.GetCertificateMap(context.Background(), mchID) {
		serials = append(serials, serial)
	}
	sort.Strings(serials)
	return serials
}

func listedSerials(describe map[string]any) []string {
	var serials []string
	listed, _ := describe["certificate_serials"].([]any)
	for _, serial := range listed {
		serials = append(serials, fmt.Sprint(serial))
	}
	sort.Strings(serials)
	return serials
}

// awaitRefresh waits for the manager's own periodic refresh to hold what the sandbox lists.
func awaitRefresh(mgr *downloader.CertificateDownloaderMgr, mchID string, listed []string) ([]string, error) {
	giveUp := time.Now().Add(10 * time.Second)
	for {
		held := heldSerials(mgr, mchID)
		if fmt.Sprint(held) == fmt.Sprint(listed) {
			return held, nil
		}
		if time.Now().After(giveUp) {
			return held, fmt.Errorf("the downloader holds %v, the sandbox lists %v", held, listed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// certificateFlows: platform certificates, downloaded and refreshed by the SDK, across a
// rotation done as WeChat does it (publish, start signing, retire).
func (r *Run) certificateFlows() {
	describe, err := r.control.keyMode("certificate")
	if err != nil {
		r.results["certificate_mode"] = map[string]any{"error": err.Error()}
		return
	}
	mgr, err := r.certificateManager()
	if err != nil {
		r.results["certificate_mode"] = map[string]any{"error": err.Error()}
		return
	}
	defer mgr.Stop()
	client, err := r.certificateClient(mgr)
	if err != nil {
		r.results["certificate_mode"] = map[string]any{"error": err.Error()}
		return
	}
	handler, err := r.notifyHandler(verifiers.NewSHA256WithRSAVerifier(mgr.GetCertificateVisitor(r.config.MchID)))
	if err != nil {
		r.results["certificate_mode"] = map[string]any{"error": err.Error()}
		return
	}
	r.receiver.use(handler)
	outTradeNo := r.outTradeNo("CT")

	r.flow("certificate_download", func() (map[string]any, error) {
		observed := map[string]any{
			"held": heldSerials(mgr, r.config.MchID), "listed": listedSerials(describe),
			"signing": describe["signing_certificate_serial"],
		}
		if _, err := r.prepay(client, outTradeNo, orderTotal); err != nil {
			return observed, err
		}
		answer, err := r.query(client, outTradeNo)
		observed["query"] = answer
		return observed, err
	})
	r.flow("certificate_notify", func() (map[string]any, error) {
		return notifyObserved(r.payAndAwait(outTradeNo))
	})
	r.flow("rotation", func() (map[string]any, error) { return r.rotation(client, mgr) })
}

func (r *Run) rotation(client *core.Client, mgr *downloader.CertificateDownloaderMgr) (map[string]any, error) {
	observed := map[string]any{}
	step := func(name, control string) (map[string]any, error) {
		describe, err := r.control.certificates(control)
		if err != nil {
			return nil, err
		}
		listed := listedSerials(describe)
		held, err := awaitRefresh(mgr, r.config.MchID, listed)
		seen := map[string]any{"listed": listed, "held": held, "signing": describe["signing_certificate_serial"]}
		observed[name] = seen
		if err != nil {
			return nil, err
		}
		outTradeNo := r.outTradeNo("RT")
		if _, err := r.prepay(client, outTradeNo, orderTotal); err != nil {
			return nil, fmt.Errorf("after %s: %w", control, err)
		}
		answer, err := r.query(client, outTradeNo)
		if err != nil {
			return nil, fmt.Errorf("after %s: %w", control, err)
		}
		seen["answer_serial"] = answer["answer_serial"]
		notified, err := notifyObserved(r.payAndAwait(outTradeNo))
		seen["notify_serial"] = notified["serial"]
		if err != nil {
			return nil, fmt.Errorf("after %s: %w", control, err)
		}
		return seen, nil
	}
	for _, s := range [][2]string{{"published", "rotate"}, {"signing", "start-signing"}, {"retired", "retire"}} {
		if _, err := step(s[0], s[1]); err != nil {
			return observed, err
		}
	}
	return observed, nil
}

// switchFlows: the switch mode ("both"), a public-key merchant and a certificate merchant
// side by side, and notifies signed with either key verified by the combined verifier.
func (r *Run) switchFlows() {
	describe, err := r.control.keyMode("both")
	if err != nil {
		r.results["switch_mode"] = map[string]any{"error": err.Error()}
		return
	}
	mgr, err := r.certificateManager()
	if err != nil {
		r.results["switch_mode"] = map[string]any{"error": err.Error()}
		return
	}
	defer mgr.Stop()
	certificateClient, err := r.certificateClient(mgr)
	if err != nil {
		r.results["switch_mode"] = map[string]any{"error": err.Error()}
		return
	}
	publicKeyClient, err := r.publicKeyClient()
	if err != nil {
		r.results["switch_mode"] = map[string]any{"error": err.Error()}
		return
	}
	handler, err := r.notifyHandler(verifiers.NewSHA256WithRSACombinedVerifier(
		mgr.GetCertificateVisitor(r.config.MchID), r.config.PublicKeyID, *r.publicKey))
	if err != nil {
		r.results["switch_mode"] = map[string]any{"error": err.Error()}
		return
	}
	r.receiver.use(handler)
	queries := func(client *core.Client) (map[string]any, error) {
		outTradeNo := r.outTradeNo("SW")
		if _, err := r.prepay(client, outTradeNo, orderTotal); err != nil {
			return nil, err
		}
		var serials []any
		for i := 0; i < 4; i++ {
			answer, err := r.query(client, outTradeNo)
			if err != nil {
				return map[string]any{"answer_serials": serials}, err
			}
			serials = append(serials, answer["answer_serial"])
		}
		return map[string]any{"answer_serials": serials, "signing": describe["signing_certificate_serial"]}, nil
	}
	r.flow("switch_public_key_client", func() (map[string]any, error) { return queries(publicKeyClient) })
	r.flow("switch_certificate_client", func() (map[string]any, error) { return queries(certificateClient) })
	r.flow("switch_notifies", func() (map[string]any, error) {
		var serials []any
		for i := 0; i < 4; i++ {
			outTradeNo := r.outTradeNo("SN")
			if _, err := r.prepay(publicKeyClient, outTradeNo, orderTotal); err != nil {
				return nil, err
			}
			notified, err := notifyObserved(r.payAndAwait(outTradeNo))
			if err != nil {
				return map[string]any{"serials": serials}, err
			}
			serials = append(serials, notified["serial"])
		}
		return map[string]any{"serials": serials}, nil
	})
}
