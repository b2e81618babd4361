// Verifies one delivery with the Standard Webhooks library for JavaScript,
// as a receiver written for node would: reads {secret, raw, headers, body}
// as JSON on stdin, prints "ok" or the library's error and exits 1.
import { Webhook } from "standardwebhooks";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, raw, headers, body } = JSON.parse(input);
  try {
    const wh = raw ? new Webhook(secret, { format: "raw" }) : new Webhook(secret);
    wh.verify(body, headers);
    console.log("ok");
  } catch (e) {
    console.log(String(e && e.message ? e.message : e));
    process.exit(1);
  }
});
