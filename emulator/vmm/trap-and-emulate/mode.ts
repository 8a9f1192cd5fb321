/**
 * The trap-and-emulate mode's exit-handler table (exit-dispatch.ts: one handler per reason;
 * a reason missing here — MOV DR, WBINVD … in this slice — is a loud
 * VmmError and stops the VM).
 */
import { ExitReason } from '../../arch/vmx-exit-reasons';
import { VmmExitReason } from '../exit-cause';
import type { VmmMode } from '../exit-dispatch';
import { onCrAccess } from './exits/cr-access';
import { onGdtrIdtrAccess } from './exits/gdtr-idtr';
import { onHlt } from './exits/hlt';
import { onInterruptFlag } from './exits/interrupt-flag';
import { onIoInstruction } from './exits/io';
import { onRdmsr, onWrmsr } from './exits/msr';
import { onIret } from './exits/iret';
import { onLdtrTrAccess } from './exits/ldtr-tr';
import { onGuestPageTableWrite, onHiddenPageFault, onInvlpg } from './exits/page-fault';
import { onGuestDescriptorTableWrite } from './exits/descriptor-table-write';
import { onReservedAreaAccess } from './exits/reserved-area';
import { onReflect } from './exits/reflect';
import { onDrAccess } from './exits/debug-register';
import { onCacheControl } from './exits/cache-control';
import { onStackSegmentLoad } from './exits/stack-segment';
import { onSystemCall } from './exits/system-call';
import type { TrapAndEmulateState } from './vm-state';

export const TRAP_AND_EMULATE: VmmMode<TrapAndEmulateState> = {
  name: 'trap-and-emulate',
  handlers: {
    [ExitReason.EXCEPTION_NMI]: onReflect,
    [ExitReason.EXTERNAL_INTERRUPT]: onReflect,
    [ExitReason.INTERRUPT_WINDOW]: onReflect,
    [VmmExitReason.SOFTWARE_INTERRUPT]: onReflect,
    [ExitReason.IO_INSTRUCTION]: onIoInstruction,
    [ExitReason.HLT]: onHlt,
    [ExitReason.CR_ACCESS]: onCrAccess,
    [ExitReason.GDTR_IDTR_ACCESS]: onGdtrIdtrAccess,
    [ExitReason.LDTR_TR_ACCESS]: onLdtrTrAccess,
    [ExitReason.RDMSR]: onRdmsr,
    [ExitReason.WRMSR]: onWrmsr,
    [ExitReason.DR_ACCESS]: onDrAccess,
    [ExitReason.INVD]: onCacheControl,
    [ExitReason.WBINVD]: onCacheControl,
    [VmmExitReason.INTERRUPT_FLAG]: onInterruptFlag,
    [VmmExitReason.IRET]: onIret,
    [VmmExitReason.STACK_SEGMENT_LOAD]: onStackSegmentLoad,
    [VmmExitReason.SYSTEM_CALL]: onSystemCall,
    [ExitReason.INVLPG]: onInvlpg,
    [VmmExitReason.HIDDEN_PAGE_FAULT]: onHiddenPageFault,
    [VmmExitReason.GUEST_PAGE_TABLE_WRITE]: onGuestPageTableWrite,
    [VmmExitReason.GUEST_DESCRIPTOR_TABLE_WRITE]: onGuestDescriptorTableWrite,
    [VmmExitReason.RESERVED_AREA_ACCESS]: onReservedAreaAccess,
  },
};
