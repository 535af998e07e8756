import com.github.wxpay.sdk.WXPayConstants;
import com.github.wxpay.sdk.WXPayUtil;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Signs field sets with the course's own SDK (com.github.wxpay:wxpay-sdk), used as it is.
 *
 * <p>stdin: blocks separated by an empty line; a block's first line is "MD5 base64(key)" or
 * "HMACSHA256 base64(key)", then one "base64(name) base64(value)" line per field. stdout: one
 * line per block, WXPayUtil.generateSignature's result, then whether isSignatureValid accepts
 * the fields with that sign.
 */
public final class SignWithWxPaySdk {
    private static final Base64.Decoder B64 = Base64.getDecoder();

    private static String text(String encoded) {
        return new String(B64.decode(encoded), StandardCharsets.UTF_8);
    }

    private static void emit(String type, String key, Map<String, String> fields) throws Exception {
        WXPayConstants.SignType signType = WXPayConstants.SignType.valueOf(type);
        String sign = WXPayUtil.generateSignature(fields, key, signType);
        Map<String, String> signed = new HashMap<>(fields);
        signed.put(WXPayConstants.FIELD_SIGN, sign);
        System.out.println(sign + " " + WXPayUtil.isSignatureValid(signed, key, signType));
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String type = null;
        String key = null;
        Map<String, String> fields = new HashMap<>();
        for (String line = in.readLine(); ; line = in.readLine()) {
            if (line == null || line.isEmpty()) {
                if (type != null) {
                    emit(type, key, fields);
                }
                if (line == null) {
                    return;
                }
                type = null;
                fields = new HashMap<>();
                continue;
            }
            String[] parts = line.split(" ", -1);
            if (type == null) {
                type = parts[0];
                key = text(parts[1]);
            } else {
                fields.put(text(parts[0]), parts.length > 1 ? text(parts[1]) : "");
            }
        }
    }
}
