// AWS Signature Version 4 check for the test S3 server.
//
// s3rver 3 does not verify V4 signatures: it only looks the access key id up in its own registry
// (which holds just "S3RVER") and accepts any secret. This module verifies the header signature
// that restic (minio-go) sends, `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...`, against one configured key pair. Only the canonical request is verified: the
// payload hash is taken from `x-amz-content-sha256` as sent (UNSIGNED-PAYLOAD, a hex sha256 or
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and the body is never read here.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SigV4Result =
  | { ok: true }
  | { ok: false; status: number; code: string; message: string; detail?: Record<string, string> };

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** RFC 3986 encoding as AWS uses it: everything except A-Z a-z 0-9 - _ . ~ is percent-encoded. */
export function awsUriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function canonicalUri(rawPath: string): string {
  const decoded = rawPath
    .split('/')
    .map((segment) => safeDecode(segment))
    .join('/');
  return awsUriEncode(decoded || '/', true);
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (key === 'X-Amz-Signature') continue;
    pairs.push([
      awsUriEncode(safeDecode(key.replace(/\+/g, ' '))),
      awsUriEncode(safeDecode(value.replace(/\+/g, ' '))),
    ]);
  }
  pairs.sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0,
  );
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function trimAll(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function parseAuthorization(
  header: string,
): { credential: string; signedHeaders: string; signature: string } | undefined {
  if (!header.startsWith(ALGORITHM + ' ')) return undefined;
  const fields = new Map<string, string>();
  for (const component of header.slice(ALGORITHM.length + 1).split(',')) {
    const trimmed = component.trim();
    const eq = trimmed.indexOf('=');
    if (eq > 0) fields.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) return undefined;
  return { credential, signedHeaders, signature };
}

/** Verifies the SigV4 Authorization header of `req` against `creds`. */
export function verifySigV4(req: IncomingMessage, creds: S3Credentials): SigV4Result {
  const authorization = req.headers.authorization;
  if (authorization === undefined) {
    return { ok: false, status: 403, code: 'AccessDenied', message: 'Access Denied' };
  }
  const parsed = parseAuthorization(authorization);
  if (!parsed) {
    return {
      ok: false,
      status: 400,
      code: 'AuthorizationHeaderMalformed',
      message: 'The authorization header is malformed; only AWS4-HMAC-SHA256 is accepted here.',
    };
  }
  const [accessKeyId, date, region, service, terminator] = parsed.credential.split('/');
  if (accessKeyId !== creds.accessKeyId) {
    return {
      ok: false,
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      detail: { AWSAccessKeyId: accessKeyId ?? '' },
    };
  }
  if (!date || !region || !service || terminator !== 'aws4_request') {
    return {
      ok: false,
      status: 400,
      code: 'AuthorizationHeaderMalformed',
      message: 'The authorization header is malformed; the Credential is mal-formed.',
    };
  }
  const amzDate = req.headers['x-amz-date'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (typeof amzDate !== 'string' || typeof payloadHash !== 'string') {
    return {
      ok: false,
      status: 400,
      code: 'InvalidRequest',
      message: 'Missing required header for this request: x-amz-date or x-amz-content-sha256',
    };
  }

  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);

  const signedHeaderNames = parsed.signedHeaders.split(';');
  const headerLines: string[] = [];
  for (const name of signedHeaderNames) {
    const values = req.headersDistinct[name];
    if (values === undefined) {
      return signatureMismatch(accessKeyId, `signed header ${name} missing`);
    }
    headerLines.push(`${name}:${values.map(trimAll).join(',')}\n`);
  }

  const canonicalRequest = [
    req.method ?? 'GET',
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    headerLines.join(''),
    parsed.signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    ALGORITHM,
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  let key = hmac('AWS4' + creds.secretAccessKey, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'), 'utf8');
  const provided = Buffer.from(parsed.signature, 'utf8');
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    return signatureMismatch(accessKeyId, stringToSign);
  }
  return { ok: true };
}

function signatureMismatch(accessKeyId: string, stringToSign: string): SigV4Result {
  return {
    ok: false,
    status: 403,
    code: 'SignatureDoesNotMatch',
    message:
      'The request signature we calculated does not match the signature you provided. ' +
      'Check your key and signing method.',
    detail: { AWSAccessKeyId: accessKeyId, StringToSign: stringToSign },
  };
}

function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Answers with an S3 error document (no body for HEAD) and drains the request body. */
export function sendS3Error(
  req: IncomingMessage,
  res: ServerResponse,
  error: { status: number; code: string; message: string; detail?: Record<string, string> },
): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const extra = Object.entries(error.detail ?? {})
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>` +
    `${extra}<RequestId>${requestId}</RequestId></Error>`;
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('Connection', 'close');
  if (req.method === 'HEAD') {
    res.setHeader('Content-Length', '0');
    res.end();
  } else {
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }
  req.resume();
}
