import { Injectable, NotAcceptableException, NotFoundException } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { InstanceRecord } from '@hub/db';
import {
  INSTANCE_MATCH_KEYS,
  PullCatalogService,
  PullableStudy,
  STUDY_MATCH_KEYS,
  matchesAll,
} from '@hub/query-retrieve';
import { StorageService } from '@hub/storage';
import { data as dcmjsData } from 'dcmjs';
import { readFile } from 'node:fs/promises';
import { DicomJsonDataset, attributesToJson, dcmjsToDicomJson } from './dicom-json';
import { DicomwebCaller, DicomwebScopeService } from './dicomweb-scope.service';
import { framesOf } from './frames';
import { prepareInstance, readOutgoingInstance } from './instance-bytes';
import { MultipartPart } from './multipart';
import { DEFAULT_RETURN_KEYS, QidoLevel, QidoQuery } from './qido-query';

/** Where in the study a request points: the study, one series, or one instance. */
export interface WadoTarget {
  studyInstanceUid: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
}

interface Selected {
  pullable: PullableStudy;
  instance: InstanceRecord;
}

const { DicomMessage } = dcmjsData as unknown as {
  DicomMessage: {
    readFile(
      buffer: ArrayBuffer,
      options?: { ignoreErrors?: boolean; untilTag?: string; includeUntilTagValue?: boolean },
    ): {
      meta: Record<string, { vr: string; Value?: unknown[] }>;
      dict: Record<string, { vr: string; Value?: unknown[] }>;
    };
  };
};

/**
 * DICOMweb (PS3.18) over the hub's folders: QIDO-RS searches and WADO-RS retrieves, each audited with the
 * user (or viewer link) and address. Instances go out as stored, in their own transfer syntax, with the
 * viewer's coercion applied to the leading elements only.
 */
@Injectable()
export class DicomwebService {
  constructor(
    private readonly scope: DicomwebScopeService,
    private readonly catalog: PullCatalogService,
    private readonly storage: StorageService,
    private readonly audit: AuditService,
  ) {}

  async search(
    caller: DicomwebCaller,
    level: QidoLevel,
    query: QidoQuery,
    within: { studyInstanceUid?: string; seriesInstanceUid?: string },
    baseUrl: string,
  ): Promise<DicomJsonDataset[]> {
    const keys = { ...query.keys };
    if (within.studyInstanceUid) {
      keys.StudyInstanceUID = within.studyInstanceUid;
    }
    if (within.seriesInstanceUid) {
      keys.SeriesInstanceUID = within.seriesInstanceUid;
    }
    const uids = keys.StudyInstanceUID?.split('\\');
    const pullables = await this.scope.visibleStudies(
      caller,
      uids && !uids.some((uid) => /[*?]/.test(uid)) ? uids : undefined,
    );
    const rows: Array<{ pullable: PullableStudy; view: Record<string, string> }> = [];
    const seen = new Set<string>();
    for (const pullable of pullables) {
      if (!matchesAll(keys, pullable.attributes, STUDY_MATCH_KEYS)) {
        continue;
      }
      if (level === 'study') {
        if (!seen.has(pullable.study.studyInstanceUid)) {
          seen.add(pullable.study.studyInstanceUid);
          rows.push({ pullable, view: pullable.attributes });
        }
        continue;
      }
      for (const instance of sortInstances(pullable.instances)) {
        const unique = level === 'series' ? instance.seriesInstanceUid : instance.sopInstanceUid;
        if (seen.has(unique)) {
          continue;
        }
        const view = this.catalog.instanceView(pullable, instance);
        if (matchesAll(keys, view, INSTANCE_MATCH_KEYS)) {
          seen.add(unique);
          rows.push({ pullable, view });
        }
      }
    }
    const page = rows.slice(query.offset, query.limit === undefined ? undefined : query.offset + query.limit);
    const returned = [
      ...new Set([
        ...(level === 'study' ? [] : ['StudyInstanceUID']),
        ...(level === 'instance'
          ? DEFAULT_RETURN_KEYS.series.filter((k) => k !== 'NumberOfSeriesRelatedInstances')
          : []),
        ...DEFAULT_RETURN_KEYS[level],
        ...Object.keys(query.keys),
        ...(query.includeFields === 'all' ? STUDY_MATCH_KEYS : query.includeFields),
      ]),
    ];
    const results = page.map(({ view }) => {
      const values: Record<string, string | undefined> = query.includeFields === 'all' ? { ...view } : {};
      for (const keyword of returned) {
        values[keyword] = view[keyword];
      }
      const json = attributesToJson(values);
      json['00081190'] = { vr: 'UR', Value: [retrieveUrl(baseUrl, level, view)] };
      return json;
    });
    await this.scope.alertRestricted(
      caller,
      page.map((row) => row.pullable),
      'listed',
    );
    await this.audit.record('dicomweb-searched', {
      outcome: AuditOutcome.Success,
      actor: { user: caller.user?.username, address: caller.address },
      patientId: singleValue(keys.PatientID),
      studyInstanceUid: singleValue(keys.StudyInstanceUID),
      detail: {
        level,
        filter: {
          ...keys,
          ...(query.limit !== undefined ? { limit: String(query.limit) } : {}),
          ...(query.offset ? { offset: String(query.offset) } : {}),
        },
        results: results.length,
        ...(caller.link ? { linkId: caller.link.id } : {}),
      },
    });
    return results;
  }

  /** The instances of a study, series or instance the caller may see, each SOP instance once; 404 if none. */
  async select(caller: DicomwebCaller, target: WadoTarget): Promise<Selected[]> {
    const pullables = await this.scope.visibleStudies(caller, [target.studyInstanceUid]);
    const seen = new Set<string>();
    const selected: Selected[] = [];
    for (const pullable of pullables) {
      for (const instance of sortInstances(pullable.instances)) {
        if (
          seen.has(instance.sopInstanceUid) ||
          (target.seriesInstanceUid && instance.seriesInstanceUid !== target.seriesInstanceUid) ||
          (target.sopInstanceUid && instance.sopInstanceUid !== target.sopInstanceUid)
        ) {
          continue;
        }
        seen.add(instance.sopInstanceUid);
        selected.push({ pullable, instance });
      }
    }
    if (selected.length === 0) {
      const what = target.sopInstanceUid ? 'instance' : target.seriesInstanceUid ? 'series' : 'study';
      throw new NotFoundException(`no such ${what} in the folders you may see`);
    }
    return selected;
  }

  /** WADO-RS instances: each as its stored Part-10 file (coerced head), in its own transfer syntax. */
  async *instanceParts(selected: Selected[], baseUrl: string): AsyncGenerator<MultipartPart> {
    for (const item of selected) {
      const { pullable, instance } = item;
      const outgoing = await prepareInstance(
        this.storage.absolute(instance.storagePath),
        instance.transferSyntaxUid,
        pullable.rules,
        pullable.context,
      );
      yield {
        contentType: `application/dicom; transfer-syntax=${instance.transferSyntaxUid}`,
        location: instanceUrl(baseUrl, item),
        head: outgoing.head,
        file: { path: this.storage.absolute(instance.storagePath), start: outgoing.restStart },
      };
    }
  }

  /** WADO-RS metadata: each instance's data set as the viewer's trust receives it, pixel data as bulk data URIs. */
  async metadata(selected: Selected[], baseUrl: string): Promise<DicomJsonDataset[]> {
    const result: DicomJsonDataset[] = [];
    for (const item of selected) {
      const { pullable, instance } = item;
      const bytes = await readOutgoingInstance(
        this.storage.absolute(instance.storagePath),
        instance.transferSyntaxUid,
        pullable.rules,
        pullable.context,
      );
      const parsed = DicomMessage.readFile(toArrayBuffer(bytes), {
        ignoreErrors: true,
        untilTag: '7FE00010',
        includeUntilTagValue: false,
      });
      const url = instanceUrl(baseUrl, item);
      const json = dcmjsToDicomJson(parsed.dict, (tag) => `${url}/bulkdata/${tag}`);
      if (json['7FE00010']) {
        json['7FE00010'].vr = NATIVE_SYNTAXES.has(instance.transferSyntaxUid) ? 'OW' : 'OB';
      }
      json['00020010'] = { vr: 'UI', Value: [instance.transferSyntaxUid] };
      json['00083002'] = { vr: 'UI', Value: [instance.transferSyntaxUid] };
      json['00081190'] = { vr: 'UR', Value: [url] };
      result.push(Object.fromEntries(Object.entries(json).sort(([a], [b]) => a.localeCompare(b))));
    }
    return result;
  }

  /** WADO-RS frames (1-based numbers) of one instance, as stored: native bytes, or each frame's compressed bitstream. */
  async frameParts(selected: Selected, numbers: number[] | 'all'): Promise<MultipartPart[]> {
    const { instance } = selected;
    // Pixel data is never coerced: the frames are the stored ones.
    const bytes = await readFile(this.storage.absolute(instance.storagePath));
    const parsed = DicomMessage.readFile(toArrayBuffer(bytes), { ignoreErrors: true });
    const frames = framesOf(parsed.dict, instance.transferSyntaxUid);
    if (frames.length === 0) {
      throw new NotFoundException('this instance has no pixel data');
    }
    const wanted = numbers === 'all' ? frames.map((_, index) => index + 1) : numbers;
    return wanted.map((number) => {
      const frame = frames[number - 1];
      if (!frame) {
        throw new NotFoundException(`frame ${number}: the instance has ${frames.length}`);
      }
      return {
        contentType: `application/octet-stream; transfer-syntax=${frameSyntax(instance.transferSyntaxUid)}`,
        head: frame,
      };
    });
  }

  /** Bulk data of a top-level attribute other than pixel data: its value as stored. */
  async bulkData(selected: Selected, tag: string): Promise<MultipartPart[]> {
    const { pullable, instance } = selected;
    const bytes = await readOutgoingInstance(
      this.storage.absolute(instance.storagePath),
      instance.transferSyntaxUid,
      pullable.rules,
      pullable.context,
    );
    const parsed = DicomMessage.readFile(toArrayBuffer(bytes), { ignoreErrors: true });
    const values = (parsed.dict[tag]?.Value ?? []).filter(
      (value): value is ArrayBuffer => value instanceof ArrayBuffer,
    );
    if (values.length === 0) {
      throw new NotFoundException(`no bulk data at ${tag}`);
    }
    return [
      {
        contentType: 'application/octet-stream',
        head: Buffer.concat(values.map((value) => Buffer.from(value))),
      },
    ];
  }

  /**
   * WADO-RS rendered, for encapsulated documents only (a PDF report, a scanned request form): the document as
   * its own media type, for the browser to show. Images are not rendered (the viewer decodes them).
   */
  async renderedDocument(selected: Selected): Promise<{ contentType: string; body: Buffer }> {
    const { pullable, instance } = selected;
    const bytes = await readOutgoingInstance(
      this.storage.absolute(instance.storagePath),
      instance.transferSyntaxUid,
      pullable.rules,
      pullable.context,
    );
    const parsed = DicomMessage.readFile(toArrayBuffer(bytes), { ignoreErrors: true });
    const document = (parsed.dict['00420011']?.Value ?? []).filter(
      (value): value is ArrayBuffer => value instanceof ArrayBuffer,
    );
    const mimeType = String(parsed.dict['00420012']?.Value?.[0] ?? '').trim();
    if (document.length === 0 || !/^[a-z]+\/[a-z0-9.+-]+$/i.test(mimeType)) {
      throw new NotAcceptableException('only encapsulated documents are rendered here');
    }
    let body = Buffer.concat(document.map((value) => Buffer.from(value)));
    // The value is padded to an even length with one NUL.
    if (mimeType === 'application/pdf' && body.length > 0 && body[body.length - 1] === 0) {
      body = body.subarray(0, body.length - 1);
    }
    return { contentType: mimeType, body };
  }

  /** One audit event (DICOM Instances Accessed) per study retrieved from, with who, from where and how much. */
  async auditRetrieve(
    caller: DicomwebCaller,
    selected: Selected[],
    what: 'instances' | 'metadata' | 'frames' | 'bulkdata' | 'rendered',
    target: WadoTarget,
  ): Promise<void> {
    const byTransfer = new Map<string, { pullable: PullableStudy; count: number }>();
    for (const { pullable } of selected) {
      const entry = byTransfer.get(pullable.transfer.id) ?? { pullable, count: 0 };
      entry.count++;
      byTransfer.set(pullable.transfer.id, entry);
    }
    await this.scope.alertRestricted(
      caller,
      selected.map((item) => item.pullable),
      'viewed',
    );
    for (const { pullable, count } of byTransfer.values()) {
      await this.audit.record('dicomweb-retrieved', {
        outcome: AuditOutcome.Success,
        actor: { user: caller.user?.username, address: caller.address },
        sourceTrust: pullable.context.sender.code,
        destinationTrust: pullable.context.recipient.code,
        patientId: pullable.study.patientId ?? undefined,
        studyInstanceUid: pullable.study.studyInstanceUid,
        detail: {
          studyId: pullable.study.id,
          transferId: pullable.transfer.id,
          what,
          ...(target.seriesInstanceUid ? { seriesInstanceUid: target.seriesInstanceUid } : {}),
          ...(target.sopInstanceUid ? { sopInstanceUid: target.sopInstanceUid } : {}),
          instances: count,
          ...(caller.link ? { linkId: caller.link.id } : {}),
        },
      });
    }
  }
}

const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

function sortInstances(instances: InstanceRecord[]): InstanceRecord[] {
  return [...instances].sort(
    (a, b) =>
      (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0) ||
      a.seriesInstanceUid.localeCompare(b.seriesInstanceUid) ||
      (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0),
  );
}

function retrieveUrl(baseUrl: string, level: QidoLevel, view: Record<string, string>): string {
  const study = `${baseUrl}/studies/${view.StudyInstanceUID}`;
  if (level === 'study') {
    return study;
  }
  const series = `${study}/series/${view.SeriesInstanceUID}`;
  return level === 'series' ? series : `${series}/instances/${view.SOPInstanceUID}`;
}

function instanceUrl(baseUrl: string, { pullable, instance }: Selected): string {
  return `${baseUrl}/studies/${pullable.study.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
}

/** Native frames go out as explicit VR little endian bytes (the same bytes as implicit); others as stored. */
function frameSyntax(transferSyntaxUid: string): string {
  return transferSyntaxUid === '1.2.840.10008.1.2' ? '1.2.840.10008.1.2.1' : transferSyntaxUid;
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

function singleValue(key: string | undefined): string | undefined {
  return key && !/[\\*?]/.test(key) && key.length <= 64 ? key : undefined;
}
