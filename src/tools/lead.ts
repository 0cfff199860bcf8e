/** The lead every sales tool takes: who the person and company are, as far as the caller knows. */
import { z } from "zod";

export const leadSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional().describe("Person's full name."),
    title: z.string().trim().min(1).max(200).optional().describe("Job title."),
    company: z.string().trim().min(1).max(200).optional().describe("Company name."),
    website: z.string().url().max(500).optional().describe("Company website."),
    email: z.string().email().max(320).optional().describe("Work email."),
    linkedin_url: z.string().url().max(500).optional().describe("LinkedIn profile URL."),
    location: z.string().trim().min(1).max(200).optional().describe("City, region or country."),
    notes: z.string().trim().min(1).max(10_000).optional().describe("Anything else known: CRM notes, how they found you, recent activity."),
  })
  .refine((lead) => lead.name || lead.company, { message: "a lead needs at least a name or a company" })
  // The same rule in the published JSON Schema, so clients see it before calling. Each branch names
  // the property it requires (a strict validator refuses `required` of a property its branch does not define).
  .meta({
    description: "The lead: at least a name or a company; every other field helps.",
    anyOf: [
      { properties: { name: true }, required: ["name"] },
      { properties: { company: true }, required: ["company"] },
    ],
  });

export type Lead = z.output<typeof leadSchema>;

const LABELS: [keyof Lead, string][] = [
  ["name", "Name"],
  ["title", "Title"],
  ["company", "Company"],
  ["website", "Website"],
  ["email", "Email"],
  ["linkedin_url", "LinkedIn"],
  ["location", "Location"],
  ["notes", "Notes"],
];

/** The lead as plain labelled lines for a prompt. */
export function describeLead(lead: Lead): string {
  return LABELS.filter(([key]) => lead[key])
    .map(([key, label]) => `${label}: ${lead[key]}`)
    .join("\n");
}
