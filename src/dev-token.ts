import jwt from 'jsonwebtoken';
import { loadConfig } from './config/config';

/**
 * `npm run token -- ADMIN [subject]` or `npm run token -- CUSTOMER <customer-id>`: prints a
 * one-hour JWT signed with the configured secret, for trying the API by hand. The platform's
 * auth service issues real staff tokens; customers get theirs from login (later milestone).
 */
const [role = 'ADMIN', subject = role === 'CUSTOMER' ? '' : 'dev-admin'] = process.argv.slice(2);
if (!['ADMIN', 'SERVICE', 'CUSTOMER'].includes(role) || !subject) {
  process.stderr.write('usage: npm run token -- ADMIN|SERVICE [subject]  |  npm run token -- CUSTOMER <customer-id>\n');
  process.exit(2);
}
process.stdout.write(`${jwt.sign({ sub: subject, role }, loadConfig().jwtSecret, { algorithm: 'HS256', expiresIn: '1h' })}\n`);
