import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { DashboardAction } from './actions';
import { eventually } from './actions';
import { ApiCaller, Seeded } from './seed';

const SHORT = { timeout: 20_000 };

type Invitation = { id: string; email: string; status: string; org_id: string };
type Member = { user_id: string; email: string | null; role: string };

/**
 * A second person, signed in with one of our HS256 tokens (development mode verifies credentials
 * that are sent), for what needs two users: invitations answered on the dashboard, and a member's
 * role changed and removed there. Only with the API's JWT_SECRET (--jwt-secret).
 */
export function teamActions(s: Seeded, apiUrl: string, jwtSecret: string): DashboardAction[] {
  const suffix = randomUUID().slice(0, 6);
  const email = `teammate-${suffix}@example.com`;
  const token = jwt.sign(
    { sub: `drive-teammate-${suffix}`, email, email_verified: true, name: 'Teammate' },
    jwtSecret,
    {
      algorithm: 'HS256',
      expiresIn: '1h',
    },
  );
  const teammate = new ApiCaller(apiUrl, { Authorization: `Bearer ${token}` });
  const dev = new ApiCaller(apiUrl);
  /** A new organization of the teammate's, inviting the local user. */
  const inviteDev = async (name: string): Promise<string> => {
    const orgId = (await teammate.call<{ id: string }>('POST', '/organizations', { name: `${name} ${suffix}` })).id;
    await teammate.call('POST', `/organizations/${orgId}/invitations`, { email: 'dev@localhost', role: 'MEMBER' });
    return orgId;
  };
  const settings = `/org/${s.orgId}/settings`;
  /** An invitation from a new organization of the teammate's, answered on "my invitations". */
  const answer = (button: 'Accept' | 'Decline', status: string): DashboardAction => ({
    name: `${button.toLowerCase()} another organization's invitation`,
    path: '/settings/invitations',
    async run(page) {
      const orgId = await inviteDev(`Teammate Org ${button}`);
      await page.reload();
      await page.getByRole('button', { name: button, exact: true }).click(SHORT);
      await eventually(async () => {
        const [invitation] = await teammate.call<Invitation[]>('GET', `/organizations/${orgId}/invitations`);
        return invitation?.status === status ? undefined : `the invitation is ${invitation?.status}`;
      });
      const orgs = await dev.call<{ id: string; role: string }[]>('GET', '/organizations');
      if (orgs.some((o) => o.id === orgId) !== (status === 'ACCEPTED'))
        throw new Error(`membership of the inviting organization does not match ${status}`);
    },
  });

  return [
    answer('Accept', 'ACCEPTED'),
    answer('Decline', 'DECLINED'),
    {
      name: "change a member's role, then remove the member",
      path: `${settings}/members`,
      async run(page) {
        const invitation = await dev.call<Invitation>('POST', `/organizations/${s.orgId}/invitations`, {
          email,
          role: 'MEMBER',
        });
        await teammate.call('POST', `/me/invitations/${invitation.id}/accept`);
        const members = () => dev.call<Member[]>('GET', `/organizations/${s.orgId}/members`);
        await page.reload();
        const row = page.locator('tr', { hasText: email }).first();
        await row.locator('button[role="combobox"]').click(SHORT);
        await page.getByRole('option', { name: 'ADMIN', exact: true }).click(SHORT);
        await eventually(async () =>
          (await members()).some((m) => m.email === email && m.role === 'ADMIN')
            ? undefined
            : 'the member is not ADMIN',
        );
        await page.locator('tr', { hasText: email }).first().locator('button:has(svg.lucide-trash-2)').click(SHORT);
        await page.getByRole('button', { name: 'Remove', exact: true }).click(SHORT);
        await eventually(async () =>
          (await members()).some((m) => m.email === email) ? 'the member is still listed' : undefined,
        );
      },
    },
    {
      name: 'revoke an invitation',
      path: `${settings}/members`,
      async run(page) {
        const pending = (await dev.call<Invitation[]>('GET', `/organizations/${s.orgId}/invitations`)).find(
          (i) => i.status === 'PENDING',
        );
        if (!pending) throw new Error('no PENDING invitation to revoke');
        await page
          .locator('tr', { hasText: pending.email })
          .first()
          .locator('button:has(svg.lucide-trash-2)')
          .click(SHORT);
        await page.getByRole('button', { name: 'Revoke', exact: true }).click(SHORT);
        await eventually(async () => {
          const list = await dev.call<Invitation[]>('GET', `/organizations/${s.orgId}/invitations`);
          const status = list.find((i) => i.id === pending.id)?.status;
          return status === 'REVOKED' ? undefined : `the invitation is ${status}`;
        });
      },
    },
  ];
}
