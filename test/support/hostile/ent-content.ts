/**
 * Puts a hostile document into a simulated ENT for a teacher, through that ENT's own connector
 * API (as if the teacher had uploaded it there): the gateway then finds it in the teacher's
 * contents like any other file.
 */
export async function putIntoEnt(o: {
  entUrl: string;
  connectorToken: string;
  userId: string;
  importKey: string;
  category: string;
  format: string;
  mediaType: string;
  title: string;
  bytes: Buffer;
}): Promise<{ localId: string; sizeBytes: number; sha256: string }> {
  const q = new URLSearchParams({ category: o.category, format: o.format, mediaType: o.mediaType, title: o.title });
  const res = await fetch(`${o.entUrl}/connector/v1/users/${encodeURIComponent(o.userId)}/imports/${encodeURIComponent(o.importKey)}?${q}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${o.connectorToken}`, 'content-type': 'application/octet-stream' },
    body: o.bytes,
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`ENT import answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function exportFromEnt(entUrl: string, connectorToken: string, userId: string, contentId: string, format: string): Promise<Buffer> {
  const res = await fetch(`${entUrl}/connector/v1/users/${encodeURIComponent(userId)}/contents/${encodeURIComponent(contentId)}/export?format=${format}`, {
    headers: { authorization: `Bearer ${connectorToken}` },
  });
  if (res.status !== 200) throw new Error(`ENT export answered ${res.status}: ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

export async function entContents(entUrl: string, connectorToken: string, userId: string): Promise<any[]> {
  const res = await fetch(`${entUrl}/connector/v1/users/${encodeURIComponent(userId)}/contents`, { headers: { authorization: `Bearer ${connectorToken}` } });
  return ((await res.json()) as { items: any[] }).items;
}
