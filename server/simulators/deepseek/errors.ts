// DeepSeek's error envelope: {"error":{"message","type","param","code"}}.

export interface SimError {
  status: number;
  message: string;
  type: string;
  code: string | null;
}

const JSON_HEADERS = { "content-type": "application/json" } as const;

export function errorBody(e: SimError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: null, code: e.code } });
}

export function errorResponse(e: SimError): Response {
  return new Response(errorBody(e), { status: e.status, headers: JSON_HEADERS });
}

/** "****abcd": the last four characters of a key, as DeepSeek shows it. */
export function maskKey(key: string): string {
  return `****${key.slice(-4)}`;
}

export function authError(key: string): SimError {
  return {
    status: 401,
    message: `Authentication Fails, Your api key: ${maskKey(key)} is invalid`,
    type: "authentication_error",
    code: "invalid_request_error",
  };
}

export const INSUFFICIENT_BALANCE: SimError = {
  status: 402,
  message: "Insufficient Balance",
  type: "unknown_error",
  code: "invalid_request_error",
};

/** 400: the body cannot be read as a chat request. */
export function formatError(message: string): SimError {
  return { status: 400, message, type: "invalid_request_error", code: "invalid_request_error" };
}

/** 400 in the wording of DeepSeek's deserializer. */
export function deserializeError(detail: string): SimError {
  return formatError(`Failed to deserialize the JSON body into the target type: ${detail}`);
}

/** 422: a parameter is out of range. */
export function paramError(message: string): SimError {
  return { status: 422, message, type: "invalid_request_error", code: "invalid_request_error" };
}

export const MODEL_NOT_EXIST: SimError = formatError("Model Not Exist");

/** The error injected by `/_control/next {"status": N}`, per DeepSeek's error-code table. */
export function injectedError(status: number, key: string, message?: string): SimError {
  let e: SimError;
  switch (status) {
    case 400:
      e = formatError("Invalid Format");
      break;
    case 401:
      e = authError(key);
      break;
    case 402:
      e = INSUFFICIENT_BALANCE;
      break;
    case 422:
      e = paramError("Invalid Parameters");
      break;
    case 429:
      e = { status, message: "Rate Limit Reached", type: "rate_limit_error", code: "rate_limit_error" };
      break;
    case 500:
      e = { status, message: "Server Error", type: "server_error", code: "server_error" };
      break;
    case 503:
      e = { status, message: "Server Overloaded", type: "server_overloaded", code: "server_overloaded" };
      break;
    default:
      e = { status, message: `Error ${status}`, type: "unknown_error", code: null };
  }
  return message ? { ...e, message } : e;
}

export const INJECTABLE_STATUSES: ReadonlySet<number> = new Set([400, 401, 402, 422, 429, 500, 503]);

export const NOT_FOUND: SimError = { status: 404, message: "Not Found", type: "invalid_request_error", code: "not_found" };
export const METHOD_NOT_ALLOWED: SimError = {
  status: 405,
  message: "Method Not Allowed",
  type: "invalid_request_error",
  code: "invalid_request_error",
};
