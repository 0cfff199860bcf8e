/**
 * Members: the people an organisation's own identity provider may sign in
 * for it (`ecn-mcp member add --org ORG --email E`). Emails are compared
 * lower-cased; the identity provider must vouch for the address.
 */
import { EcnError } from "../errors.js";
import type { Ledger, MemberRecord } from "../ledger/index.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The email as members are keyed by: trimmed and lower-cased; an address that is not one is invalid input. */
export function memberEmail(email: string): string {
  const normalised = email.trim().toLowerCase();
  if (normalised.length > 320 || !EMAIL.test(normalised)) throw new EcnError("invalid_input", `"${email}" is not an email address`);
  return normalised;
}

export class Members {
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  /** False when the person was a member already. */
  add(orgId: string, email: string): Promise<boolean> {
    return this.ledger.addMember({ orgId, email: memberEmail(email), createdAt: this.now() });
  }

  remove(orgId: string, email: string): Promise<boolean> {
    return this.ledger.removeMember(orgId, memberEmail(email));
  }

  list(orgId: string | null): Promise<MemberRecord[]> {
    return this.ledger.listMembers(orgId);
  }

  /** The organisations a signed-in email may connect. */
  async organisationsOf(email: string): Promise<{ id: string; name: string }[]> {
    const memberships = await this.ledger.membershipsOf(memberEmail(email));
    const orgs = await Promise.all(memberships.map((m) => this.ledger.findOrg(m.orgId)));
    return orgs.filter((o) => o !== null).map((o) => ({ id: o.id, name: o.name }));
  }
}
