/** What the audit repository says about itself, in its first commit. */

export const INITIAL_MESSAGE = 'audit: start the audit repository\n';

export const README = `# homeostat audit repository

homeostat writes this repository: every action it decides, and every engine event (start,
stop, recovery, policy activations, pauses), is one JSON file

    actions/YYYY/MM/DD/<id>.json

following schemas/audit-entry.schema.json of homeostat. An action's file is committed when
the action is decided (the intent: "outcome" is null) and again when it ends (its outcome),
so \`git log -- <file>\` shows both.

Each commit message is one readable line, then trailers: \`Homeostat-Entry: <id>\` and the
entry's policy, target, alert and outcome. When several entries are committed together, the
first line counts them, the body has one line per entry, and the trailers come in one group
per entry, each opening with its Homeostat-Entry line.

Reading it:

    git log                               the audit trail, newest first
    git log -- actions/2026/11/21/        one day
    homeostat audit log [--policy P] [--target T] [--outcome O] [--since DATE]
    homeostat audit show ID
    homeostat audit verify                every journal entry is here, every file is valid

Do not commit to this branch by hand. homeostat never force-pushes: when the remote branch
has moved, it replays its own commits on top of it before pushing again.
`;
