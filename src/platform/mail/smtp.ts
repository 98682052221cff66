import nodemailer from 'nodemailer';
import type { Mailer } from '../../shared/context';

/** A mailer for the configured SMTP server (`smtp://user:pass@host:port` or `smtps://…`). */
export function createSmtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
    },
  };
}
