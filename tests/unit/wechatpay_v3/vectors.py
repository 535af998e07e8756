"""The reference's v3 test vectors (§7 T1-T3, Appendix A and B), copied verbatim.

TEST-ONLY material from wechatpay-go's own tests: the certificate (serial D7CE59D1F522D701) and
the RSA key that matches it. Usable as a merchant key and as a platform key; never outside tests.
"""

from __future__ import annotations

APPENDIX_A_CERTIFICATE = b"""\
-----BEGIN CERTIFICATE-----
MIIDVzCCAj+gAwIBAgIJANfOWdH1ItcBMA0GCSqGSIb3DQEBCwUAMEIxCzAJBgNV
BAYTAlhYMRUwEwYDVQQHDAxEZWZhdWx0IENpdHkxHDAaBgNVBAoME0RlZmF1bHQg
Q29tcGFueSBMdGQwHhcNMjEwNDI3MDg1NTIzWhcNMzEwNDI1MDg1NTIzWjBCMQsw
CQYDVQQGEwJYWDEVMBMGA1UEBwwMRGVmYXVsdCBDaXR5MRwwGgYDVQQKDBNEZWZh
dWx0IENvbXBhbnkgTHRkMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXag
HQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOm
DeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B83
4uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGf
y8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtk
aSef4FdEEgEXJiw0VAJT8wIDAQABo1AwTjAdBgNVHQ4EFgQUT1c7nd/SUO76HSoZ
umNUJv1R5PwwHwYDVR0jBBgwFoAUT1c7nd/SUO76HSoZumNUJv1R5PwwDAYDVR0T
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAfTjxKRQMzNB/U6ZoCUS+BSNfa2Oh
0plMN6ZuzwiVVZwg1jywvv5yv04koS7Pd4i9E4gt9ZBUQXlpq+A3oOCEEHNRR6b2
kyazGRM7s0OP5X21WrbpSmKmU6K7hkfx30yYs08LVs/Q8DIhvaj1FCFeJzUCzYn/
fHMq4tsbKO0dKAeydPM/nrUZBmaYQVKMVOORGLFjFKVO7JV6Kq/R86ouhjEPgJOe
2xulNBUcjicqtZlBdEh/PWCYP2SpGVDclKm8jeo175T3EVAkdKzzmfpxtMmnMlmq
cTJOU9TxuGvNASMtjj7pYIerTx+xgZDXEVBWFW9PjJ0TV06tCRsgSHItgg==
-----END CERTIFICATE-----
"""

APPENDIX_A_SERIAL = "D7CE59D1F522D701"

APPENDIX_B_PRIVATE_KEY = b"""\
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
BDa+8mDLkWu5nHEhOxy2JJZl
-----END PRIVATE KEY-----
"""


# T1: wechatpay-go core/notify/notify_test.go (16-byte key: AES-128-GCM).

T1_TIMESTAMP = "1624523846"
T1_NONCE = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz"
T1_KEY = b"testMchAPIv3Key0"

T1_SIGNATURE = (
    "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbY"
    "ZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rx"
    "ELLwXvV1VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2"
    "laKKgYUmfdEdkNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q=="
)

T1_BODY = (
    '{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+'
    '08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVI'
    'CE","summary":"签约成功","resource":{"original_type":"payscore","algorithm":"AEAD_AE'
    'S_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHI'
    "Dy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBo"
    "kNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5J"
    'dXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}'
)

T1_PLAINTEXT = (
    b'{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c",'
    b'"create_time":"2020-06-30T12:12:00+08:00","out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}'
)


# T2: AES-256-GCM with a 32-byte key.

T2_KEY = b"0123456789abcdef0123456789ABCDEF"
T2_NONCE = "fdasflkja484"
T2_ASSOCIATED_DATA = "transaction"

T2_PLAINTEXT = (
    '{"mchid":"1230000109","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201'
    '407033233368018","transaction_id":"1217752501201407033233368018","trade_type":"N'
    'ATIVE","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","a'
    'ttach":"","success_time":"2018-06-08T10:34:56+08:00","payer":{"openid":"oUpF8uMu'
    'AJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY",'
    '"payer_currency":"CNY"}}'
)

T2_CIPHERTEXT = (
    "bz1kVndYkCFlgKSV7lZeuBxDb6Dr2XsCUhw9dEHzO9M653wGxG2i4fVCms/wOqKZjUsbFiP7HsHKfJhCIMNmvF5n"
    "iGdfHgmwqgTmiJ3lBeUTfoGOlG3K3icBM/pUkZEzP04Ffb6NY+WYtew6hEuotjED9cUrQ5QsY9fBLks0/IXaMAU/"
    "EeYTw9OeCPDDadj0RKrG1uRrYfJwk+GzK3K2T0ROM/C2W0Dum2d+Rws+lpb9zwEdLsQkQ+UI3Qp/bxKK8bztfwrU"
    "YNsClIMofz6HJXwURXZ7yXUfQTrvSSZ10K4fcAfQS5t+wTgWwnCT60CqFX254Gds8Tp2CGc9jDg/lOstbeHBB9w4"
    "mKEQWaMAMYW7g86iao1MxMnA3BIyd8vpZRB3pSLJGnGKXvld1gUkKtxj6aiRFBBsVbqdd8kZOMW9vDtNozsjAK+I"
    "xCnY8t+XM5j8S1zilfLug+eJQXRXqji6mH9UrbU6IPtmTnNf1y5AlIER1zdXqoN9qrl0QkLgvlUM+yBU3wkSuh7T"
    "FOoE6PxKK/CyMSSIq3pKI8gwb/9R7k/SFkPUkwLM9/ZEtfLtxGXAYtZ7ABOPGLRWNdUZ4A=="
)


# T3: request and response signatures with the Appendix B key.

T3_TIMESTAMP = 1624523846
T3_NONCE = "593BEC0C930BF1AFEB40B4A08C8FB242"
T3_MERCHANT_SERIAL = "F5765756002FDD77"

T3_POST_URL = "/v3/pay/transactions/native"

T3_POST_BODY = (
    '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔",'
    '"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php",'
    '"amount":{"total":100,"currency":"CNY"}}'
)

T3_POST_SIGNATURE = (
    "p9KZc9ThSYVHYgj2NzxxfxyWqAqSakUZ7y57M7WgAB/FSedAU5h2daHajQuZnPs4aia0yJLsDYAJ2Xr31rTh4ULv"
    "5q8V5ZxICUqPVhK7v7da/B5sJQRNQDAswUYa7XTVyFnc954Z+LstxgLwMWK4iB/I+k++lD+Wp1W46WDniYq0rw3T"
    "tWr79h7rojNV+jdPIYOB2WJqa8HTPvyVuISaIvh6rnA7Na76OYPK2WH8I/MXtG4UIJ/WRUSr5pbXL0Jba+Ooe6fe"
    "tMuwBtfbVWcd7Xm8D3lzK96ECtKzILxZto6fDL1uFcYHjJhtipJy44imLS7VxzCBDhaaqon3s86Apg=="
)

T3_GET_URL = "/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1230000109"

T3_GET_SIGNATURE = (
    "h5Cwr9ujqTU1q0BaPBjqQf3k4+h7x+V0uL8UE9bIyZYqf5aXvq+9uyUmlPGm4/gE+1ahOC3fAF4l+dm8FGbYq2fW"
    "2u1CHdsumGepJT2TfXDJdDYl4LYrsI+PAOhx/OrKCfj3CrQdqQ8uTcvDd4VI84OKLhVazSVskdReW1AXlPG3hdIU"
    "Ewp8j94Guv9SucqlcU244fStURcN66fOnLFCDO/yAjizBnnvAry49NGmmeSDdB0nbJCNhsl8rqcnrFrPJ+pTbnRo"
    "jWJ4l1IhdYRYzoKYqF9WjEvvteImScfq3bdLOj5sRl6gQeo50ueNgbITLxidQ8numzZQn+yPrimwKA=="
)

T3_RESPONSE_BODY = b'{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}'

T3_RESPONSE_SIGNATURE = (
    "gZw8Lj0v79l9GIMfEjcOoOJbVk/57HS6mV0LByfE1TvXB2sxo5kSxwjW6qdAF9aNUkXohys79elRXMt+quCaqLj0"
    "tzrLeOnKvJpij8YXo7WyTUDDjaAaXUQqKoTHYBkWahSWedIJNokZVZXVszklk1vls4dj0AYqNb6Dl4eaFpI7Fz1I"
    "NJMrcCAO+489W1kbz+TjqxmLof2IhYiupOjdS8F2WuLDO5jJYaqxwdJjYUNYeZxs2f2n9zkunhpk3Rg8INMxEDqN"
    "K28gedFn0moTRPwVQdG69RgGQFhmEcfh16QETdTadWei0+TcnBqWCS1tWFTaLcS8ZUZpwiMM7Z/L4g=="
)
