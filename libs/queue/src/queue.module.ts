import { Global, Module } from '@nestjs/common';
import { StudyQueueProducer } from './study-queue.producer';

@Global()
@Module({ providers: [StudyQueueProducer], exports: [StudyQueueProducer] })
export class QueueModule {}
