import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { twilioSignature } from "./signature.ts";

describe("X-Twilio-Signature", () => {
  const params = {
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  };
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";

  it("matches Twilio's published test vector", () => {
    expect(twilioSignature("12345", url, params)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  });

  it("is accepted by the official SDK's validator, and rejected when anything changes", () => {
    const signature = twilioSignature("secret-token", url, params);
    expect(twilio.validateRequest("secret-token", signature, url, params)).toBe(true);
    expect(twilio.validateRequest("other-token", signature, url, params)).toBe(false);
    expect(twilio.validateRequest("secret-token", signature, url, { ...params, Digits: "9" })).toBe(false);
  });

  it("signs repeated parameters value by value in sorted order", () => {
    const a = twilioSignature("t", "https://x.test/", { Tag: ["b", "a"] });
    expect(a).toBe(twilioSignature("t", "https://x.test/", { Tag: ["a", "b"] }));
    expect(a).not.toBe(twilioSignature("t", "https://x.test/", { Tag: "ab" }));
  });
});
