/**
 * Builds a small tree with what a restore must preserve (owners, modes, mtimes, symlinks, odd
 * names, binary data) and compares two trees entry by entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, readdir, readlink, symlink, utimes, writeFile, lutimes, } from 'node:fs/promises';
import { join, relative } from 'node:path';
export async function makeTree(root, opts = {}) {
    await mkdir(join(root, 'public_html/wp-content/uploads/2026/11'), { recursive: true });
    await mkdir(join(root, 'public_html/empty-dir'), { recursive: true });
    await writeFile(join(root, 'public_html/index.php'), '<?php echo "hello";\n');
    await writeFile(join(root, 'public_html/wp-config.php'), '<?php define("DB_PASSWORD", "x");\n');
    await writeFile(join(root, 'public_html/wp-content/uploads/2026/11/photo.jpg'), randomBytes(opts.bigFileBytes ?? 3 * 1024 * 1024));
    await writeFile(join(root, 'public_html/Grüße & spaces.txt'), 'unicode name\n');
    await writeFile(join(root, 'public_html/.htaccess'), 'Options -Indexes\n');
    await symlink('index.php', join(root, 'public_html/link-to-index'));
    await chown(join(root, 'public_html/index.php'), 1234, 2345);
    await chown(join(root, 'public_html/wp-content'), 1234, 2345);
    await chmod(join(root, 'public_html/wp-config.php'), 0o640);
    await chmod(join(root, 'public_html/.htaccess'), 0o604);
    await chmod(join(root, 'public_html/empty-dir'), 0o2750);
    const old = new Date('2024-02-29T12:34:56.789Z');
    await utimes(join(root, 'public_html/index.php'), old, old);
    await utimes(join(root, 'public_html/wp-content/uploads/2026/11/photo.jpg'), old, old);
    await lutimes(join(root, 'public_html/link-to-index'), old, old);
    await utimes(join(root, 'public_html/empty-dir'), old, old);
}
export async function readTree(root) {
    const out = [];
    async function walk(dir) {
        for (const name of (await readdir(dir)).sort()) {
            const full = join(dir, name);
            const st = await lstat(full);
            const entry = {
                path: relative(root, full),
                type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file',
                mode: st.mode & 0o7777,
                uid: st.uid,
                gid: st.gid,
                mtimeMs: Math.round(st.mtimeMs),
                size: st.isDirectory() ? 0 : st.size,
            };
            if (entry.type === 'file')
                entry.sha256 = createHash('sha256')
                    .update(await readFile(full))
                    .digest('hex');
            if (entry.type === 'symlink')
                entry.link = await readlink(full);
            // A directory's mtime changes when its entries are written during restore; restic sets it
            // afterwards, so it is compared like any other entry.
            out.push(entry);
            if (entry.type === 'dir')
                await walk(full);
        }
    }
    await walk(root);
    return out;
}
//# sourceMappingURL=tree.js.map