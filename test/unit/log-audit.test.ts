import { describe, expect, it } from 'bun:test';
import { redact } from '../../server/lib/log';
import { auditText, redactFinding } from '../log-audit';

const KEY = `sk-gateway-${'a1B2c3D4e5'.repeat(4)}`;

describe('the log audit', () => {
  it('finds a full key, a bearer value, an admin token, a PayPal token, a view token and the test secrets', () => {
    const lines = [
      `{"msg":"request","key":"${KEY}"}`,
      'authorization: Bearer abcdefgh12345678',
      'token tg-admin-AbCdEfGhIjKlMnOpQrStUvWxYz012345',
      `paypal said A21AA${'x'.repeat(92)}`,
      `GET /order?order_id=ord_1&view=${'V'.repeat(32)}`,
      'upstream sk-upstream-test-0001 failed',
      'client secret sim-secret',
    ];
    const findings = auditText('f.log', lines.join('\n'));
    expect(findings.map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("passes the logger's redacted lines, key hints and ordinary request lines", () => {
    const lines = [
      redact(`{"msg":"oops","detail":"Bearer ${KEY}"}`),
      '{"msg":"request","key_hint":"a1B2…D4e5","path":"/v1/chat/completions","status":401,"error":"invalid_api_key"}',
      '{"msg":"request","path":"/api/orders/ord_abc","status":200}',
    ];
    expect(auditText('f.log', lines.join('\n'))).toEqual([]);
  });

  it('prints a finding with the secret cut short', () => {
    const shown = redactFinding(`{"key":"${KEY}","up":"sk-upstream-test-0001"}`);
    expect(shown).not.toContain(KEY);
    expect(shown).not.toContain('sk-upstream-test-0001');
    expect(shown).toContain('[secret]');
  });
});
