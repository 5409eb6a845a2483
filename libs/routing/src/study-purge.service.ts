import { Injectable } from '@nestjs/common';
import { InstanceRepository } from '@hub/db';
import { StorageService } from '@hub/storage';

/**
 * Removes a study's files and marks exactly those instances purged (the rows stay, for the record).
 * One place for expiry, discard and late arrivals after either. Each study row owns its files (the
 * path includes sender, recipient and folder), so no other live transfer loses a file.
 */
@Injectable()
export class StudyPurgeService {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly storage: StorageService,
  ) {}

  /** Returns how many files went. */
  async purgeStudyFiles(studyId: string, now = new Date()): Promise<number> {
    const instances = (await this.instances.getForStudy(studyId)).filter((instance) => !instance.purgedAt);
    for (const instance of instances) {
      await this.storage.remove(instance.storagePath);
    }
    await this.instances.markPurged(
      studyId,
      instances.map((instance) => instance.id),
      now,
    );
    return instances.length;
  }
}
