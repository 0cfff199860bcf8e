/**
 * How a misbehaving provider (or a proxy in front of it) echoes the request's
 * credential in an error body. Real ones have been seen to send it back as
 * it is, encoded, or mangled, so each simulator can be told which form.
 */

export const ECHO_FORMS = ["plain", "base64", "base64-user", "hex", "hex-upper", "percent", "unprefixed", "zero-width", "newline", "space"] as const;

/** The forms an echo can take (`echoCredentials: true` is the plain one). */
export type EchoForm = (typeof ECHO_FORMS)[number];

/** The credential as the given form writes it. */
export function echoed(secret: string, form: EchoForm): string {
  const middle = Math.floor(secret.length / 2);
  switch (form) {
    case "plain":
      return secret;
    case "base64":
      return Buffer.from(secret).toString("base64");
    case "base64-user":
      // An HTTP Basic header made of the key, as some proxies log it.
      return Buffer.from(`apiuser:${secret}`).toString("base64");
    case "hex":
      return Buffer.from(secret).toString("hex");
    case "hex-upper":
      return Buffer.from(secret).toString("hex").toUpperCase();
    case "percent":
      return [...Buffer.from(secret)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
    case "unprefixed":
      return secret.slice(Math.max(secret.lastIndexOf("-"), secret.lastIndexOf("_")) + 1);
    case "zero-width":
      return `${secret.slice(0, middle)}\u200b${secret.slice(middle)}`;
    case "newline":
      return `${secret.slice(0, middle)}\n${secret.slice(middle)}`;
    case "space":
      return `${secret.slice(0, middle)} ${secret.slice(middle)}`;
  }
}

/** The sentence a simulator appends to its error message: the credential the request carried, in the asked form. */
export function echoSentence(header: string, value: string | undefined, form: EchoForm | boolean | undefined): string {
  if (!form) return "";
  if (value === undefined) return ` (request had ${header}: none)`;
  // An Authorization header's scheme stays readable; the credential after it takes the form.
  const [, scheme = "", secret = value] = /^(Bearer |Basic )?(.*)$/s.exec(value) ?? [];
  return ` (request had ${header}: ${scheme}${echoed(secret, form === true ? "plain" : form)})`;
}
