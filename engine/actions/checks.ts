/** Checks on rendered values shared by action types. */
import { hasTemplateSyntax } from '../template/template.js';

const HOST_PATTERN_CHARS = /[\s,:!&*?[\]~@;|<>(){}$`'"\\]/;
const HOST_PATTERN_WORDS = new Set(['all', 'ungrouped']);

/** Why a value cannot stand for exactly one Ansible host, or null. */
export function refuseHost(field: string, value: string): string | null {
  if (value === '') return `${field} is empty`;
  if (value.startsWith('-')) return `${field} '${value}' starts with '-' and would be read as an option`;
  if (HOST_PATTERN_WORDS.has(value.toLowerCase()) || HOST_PATTERN_CHARS.test(value)) {
    return `${field} '${value}' is an Ansible host pattern, not one host`;
  }
  return null;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why a value is not a Kubernetes object name (namespaces are DNS labels), or null. */
export function refuseKubernetesName(field: string, value: string): string | null {
  const label = field === 'namespace';
  const ok = label ? DNS_LABEL.test(value) && value.length <= 63 : DNS_SUBDOMAIN.test(value) && value.length <= 253;
  return ok ? null : `${field} '${value}' is not a valid Kubernetes ${label ? 'namespace' : 'name'}`;
}

/** Why a rendered argv element from an alert would be read as an option, or null. */
export function refuseOptionLike(field: string, raw: unknown, value: unknown): string | null {
  if (typeof raw !== 'string' || !hasTemplateSyntax(raw) || typeof value !== 'string') return null;
  const literalPrefix = raw.slice(0, Math.min(...['{{', '{%'].map((d) => raw.indexOf(d)).filter((i) => i >= 0)));
  if (literalPrefix !== '') return null; // the policy wrote the first character
  return value.startsWith('-') ? `${field} '${value}' comes from the alert and starts with '-'; it would be read as an option` : null;
}
