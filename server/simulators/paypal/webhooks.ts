// Webhook events: PayPal's envelope, signed delivery with bounded retries, and the record
// that /v1/notifications/verify-webhook-signature checks against.

import { createSigner, type Signer } from './cert';
import type { Base } from './render';
import { canonicalJson, crc32, newEventId, paypalTime, sleep } from './util';

export const AUTH_ALGO = 'SHA256withRSA';
/** Delays before the 2nd and 3rd attempt; a delivery is tried at most 3 times. */
const RETRY_DELAYS_MS = [250, 1000];
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface SentEvent {
  event: Record<string, unknown>;
  /** The exact body POSTed. */
  body: string;
  canonical: string;
  transmissionId: string;
  transmissionTime: string;
  transmissionSig: string;
  certUrl: string;
  webhookId: string;
}

export interface Delivery {
  event_id: string;
  event_type: string;
  resource_id: string;
  transmission_id: string;
  url: string | null;
  delivered: boolean;
  /** Last HTTP status from the receiver; 0 when it could not be reached or nothing was sent. */
  status: number;
  attempts: number;
  error?: string;
  create_time: string;
}

export interface EmitResult {
  delivery: Delivery;
  /** Settles when delivery is over (delivered or out of attempts). Never rejects. */
  done: Promise<Delivery>;
}

export interface HubConfig {
  webhookUrl(): string | undefined;
  webhookId(): string;
}

export class WebhookHub {
  /** transmission id -> what was sent. */
  private sent = new Map<string, SentEvent>();
  /** event id -> latest transmission id. */
  private byEvent = new Map<string, string>();
  readonly deliveries: Delivery[] = [];
  private signer: Promise<Signer> | undefined;
  private abort = new AbortController();
  readonly certId = `CERT-360caa42-fca2a594-${crypto.randomUUID().slice(0, 8)}`;

  constructor(private cfg: HubConfig) {}

  getSigner(): Promise<Signer> {
    this.signer ??= createSigner();
    return this.signer;
  }

  certUrl(base: Base): string {
    return `${base.api}/v1/notifications/certs/${this.certId}`;
  }

  /** Forget sent events and stop pending retries (keeps the signing key). */
  reset(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.sent.clear();
    this.byEvent.clear();
    this.deliveries.length = 0;
  }

  close(): void {
    this.abort.abort();
  }

  getEvent(eventId: string): SentEvent | undefined {
    const tid = this.byEvent.get(eventId);
    return tid === undefined ? undefined : this.sent.get(tid);
  }

  sentEvents(): Record<string, unknown>[] {
    const seen = new Set<string>();
    return [...this.sent.values()].flatMap(({ event }) => (seen.has(String(event.id)) ? [] : (seen.add(String(event.id)), [event])));
  }

  getTransmission(transmissionId: string): SentEvent | undefined {
    return this.sent.get(transmissionId);
  }

  /** Builds, signs and sends an event; the returned `done` tells how delivery went. */
  async emit(eventType: string, resourceType: string, resource: Record<string, unknown>, summary: string, base: Base): Promise<EmitResult> {
    const id = newEventId();
    const event: Record<string, unknown> = {
      id,
      event_version: '1.0',
      create_time: paypalTime(),
      resource_type: resourceType,
      resource_version: '2.0',
      event_type: eventType,
      summary,
      resource,
      links: [
        { href: `${base.api}/v1/notifications/webhooks-events/${id}`, rel: 'self', method: 'GET' },
        { href: `${base.api}/v1/notifications/webhooks-events/${id}/resend`, rel: 'resend', method: 'POST' },
      ],
    };
    return this.transmit(event, base);
  }

  /** Sends an already-built event again, as a new transmission (the `resend` link). */
  async resend(eventId: string, base: Base): Promise<EmitResult | undefined> {
    const prev = this.getEvent(eventId);
    return prev ? this.transmit(prev.event, base) : undefined;
  }

  private async transmit(event: Record<string, unknown>, base: Base): Promise<EmitResult> {
    const signer = await this.getSigner();
    const body = JSON.stringify(event);
    const transmissionId = crypto.randomUUID();
    const transmissionTime = paypalTime();
    const webhookId = this.cfg.webhookId();
    const certUrl = this.certUrl(base);
    const transmissionSig = await signer.sign(`${transmissionId}|${transmissionTime}|${webhookId}|${crc32(body)}`);
    const rec: SentEvent = {
      event,
      body,
      canonical: canonicalJson(event),
      transmissionId,
      transmissionTime,
      transmissionSig,
      certUrl,
      webhookId,
    };
    const eventId = String(event.id);
    this.sent.set(transmissionId, rec);
    this.byEvent.set(eventId, transmissionId);
    const resource = event.resource as Record<string, unknown> | undefined;
    const url = this.cfg.webhookUrl() ?? null;
    const delivery: Delivery = {
      event_id: eventId,
      event_type: String(event.event_type),
      resource_id: String(resource?.id ?? ''),
      transmission_id: transmissionId,
      url,
      delivered: false,
      status: 0,
      attempts: 0,
      create_time: String(event.create_time),
    };
    this.deliveries.push(delivery);
    if (url === null) {
      delivery.error = 'no webhook URL configured';
      return { delivery, done: Promise.resolve(delivery) };
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'PayPal/AUHD-214.0-58000000 (simulator)',
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-time': transmissionTime,
      'paypal-transmission-sig': transmissionSig,
      'paypal-cert-url': certUrl,
      'paypal-auth-algo': AUTH_ALGO,
    };
    const done = this.deliver(url, body, headers, delivery, this.abort.signal);
    return { delivery, done };
  }

  private async deliver(url: string, body: string, headers: Record<string, string>, d: Delivery, stop: AbortSignal): Promise<Delivery> {
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await sleep(RETRY_DELAYS_MS[attempt - 1] ?? 1000, stop);
      if (stop.aborted) {
        d.error = 'delivery cancelled (simulator reset or stopped)';
        return d;
      }
      d.attempts = attempt + 1;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([stop, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        d.status = res.status;
        if (res.ok) {
          d.delivered = true;
          delete d.error;
          return d;
        }
        d.error = `receiver answered ${res.status}`;
      } catch (e) {
        d.status = 0;
        d.error = e instanceof Error ? e.message : String(e);
      }
    }
    return d;
  }
}
