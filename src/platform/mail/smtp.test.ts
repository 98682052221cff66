import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from './smtp';

describe('SMTP mailer', () => {
  const received: { from: string; to: string[]; data: string }[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? (session.envelope.mailFrom as { address: string }).address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('delivers a message to a real SMTP server', async () => {
    const mailer = createSmtpMailer(`smtp://127.0.0.1:${port}?ignoreTLS=true`, 'Folio <folio@example.test>');
    await mailer.send({ to: 'new.person@example.test', subject: 'You are invited to Acme on Folio', text: 'Open this link: http://folio/invite/abc' });
    expect(received).toHaveLength(1);
    expect(received[0].from).toBe('folio@example.test');
    expect(received[0].to).toEqual(['new.person@example.test']);
    expect(received[0].data).toContain('Subject: You are invited to Acme on Folio');
    expect(received[0].data).toContain('http://folio/invite/abc');
  });

  it('fails with an error when the server is unreachable', async () => {
    const mailer = createSmtpMailer('smtp://127.0.0.1:1?ignoreTLS=true&connectionTimeout=2000', 'folio@example.test');
    await expect(mailer.send({ to: 'x@example.test', subject: 's', text: 't' })).rejects.toThrow();
  });
});
