import com.github.wxpay.sdk.WXPay;
import com.github.wxpay.sdk.WXPayConfig;
import com.github.wxpay.sdk.WXPayConstants;
import com.github.wxpay.sdk.WXPayUtil;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The course's own SDK (com.github.wxpay:wxpay-sdk 0.0.3), used as it is, on the sandbox's wire:
 * it builds the requests the sandbox must accept and verifies the sandbox's answers and notifies.
 *
 * <p>stdin: blocks separated by an empty line. A block's first line is "OP TYPE base64(key)
 * base64(appid) base64(mch_id)", TYPE MD5 or HMACSHA256, then
 *
 * <ul>
 *   <li>OP request: one "base64(name) base64(value)" line per business field; prints
 *       base64(WXPayUtil.generateSignedXml(WXPay.fillRequestData(fields), key, TYPE)).
 *   <li>OP answer: one line base64(xml); prints WXPayUtil.isSignatureValid(xmlToMap(xml), key,
 *       TYPE), then the fields xmlToMap read.
 *   <li>OP notify: one line base64(xml); prints WXPay.isPayResultNotifySignatureValid(xmlToMap(
 *       xml)), then the fields.
 * </ul>
 *
 * Fields are printed as "base64(name):base64(value)" separated by commas, sorted by name.
 */
public final class WireWithWxPaySdk {
    private static final Base64.Decoder DECODE = Base64.getDecoder();
    private static final Base64.Encoder ENCODE = Base64.getEncoder();

    private static String text(String encoded) {
        return new String(DECODE.decode(encoded), StandardCharsets.UTF_8);
    }

    private static String b64(String text) {
        return ENCODE.encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static WXPayConfig config(String appid, String mchId, String key) {
        return new WXPayConfig() {
            public String getAppID() {
                return appid;
            }

            public String getMchID() {
                return mchId;
            }

            public String getKey() {
                return key;
            }

            public InputStream getCertStream() {
                return null;
            }

            public int getHttpConnectTimeoutMs() {
                return 2000;
            }

            public int getHttpReadTimeoutMs() {
                return 5000;
            }
        };
    }

    private static String fields(Map<String, String> map) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> field : new TreeMap<>(map).entrySet()) {
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(b64(field.getKey())).append(':').append(b64(field.getValue()));
        }
        return out.toString();
    }

    private static void emit(String[] head, Map<String, String> body, String xml) throws Exception {
        WXPayConstants.SignType signType = WXPayConstants.SignType.valueOf(head[1]);
        String key = text(head[2]);
        WXPay wxpay = new WXPay(config(text(head[3]), text(head[4]), key), signType);
        switch (head[0]) {
            case "request":
                Map<String, String> filled = wxpay.fillRequestData(body);
                System.out.println(b64(WXPayUtil.generateSignedXml(filled, key, signType)));
                break;
            case "answer":
                Map<String, String> answer = WXPayUtil.xmlToMap(xml);
                boolean valid = WXPayUtil.isSignatureValid(answer, key, signType);
                System.out.println(valid + " " + fields(answer));
                break;
            case "notify":
                Map<String, String> notify = WXPayUtil.xmlToMap(xml);
                System.out.println(wxpay.isPayResultNotifySignatureValid(notify) + " " + fields(notify));
                break;
            default:
                throw new IllegalArgumentException("unknown operation " + head[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String[] head = null;
        String xml = null;
        Map<String, String> body = new HashMap<>();
        for (String line = in.readLine(); ; line = in.readLine()) {
            if (line == null || line.isEmpty()) {
                if (head != null) {
                    emit(head, body, xml);
                }
                if (line == null) {
                    return;
                }
                head = null;
                xml = null;
                body = new HashMap<>();
                continue;
            }
            String[] parts = line.split(" ", -1);
            if (head == null) {
                head = parts;
            } else if (parts.length == 1) {
                xml = text(parts[0]);
            } else {
                body.put(text(parts[0]), text(parts[1]));
            }
        }
    }
}
