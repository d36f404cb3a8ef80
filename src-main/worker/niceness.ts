/** Unix niceness of every task, so the owner's own programs come first (nice(1), setpriority(2)). */
export const TASK_NICENESS = 10;
