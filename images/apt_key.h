/* A third-party apt repository's key (recipe apt_repositories: key,
 * fingerprint), checked before any long work: the file is there and
 * regular, binary (apt's signed-by= takes a .gpg file as a binary keyring;
 * an armoured one would fail only at apt update, deep in the build), and,
 * when the recipe pins a fingerprint, it holds that primary key and no other
 * (each key in a signed-by file may sign the repository). gpg --show-keys
 * reads the keyring: kiln does not parse OpenPGP itself. */
#ifndef KILN_APT_KEY_H
#define KILN_APT_KEY_H
#include "images/recipe.h"

/* 0, or a negative errno after one error line naming the role, the
 * repository, the file, the pinned fingerprint and docs/build.md. */
int apt_repo_key_check(const char *role, const struct recipe_apt_repo *a);
#endif
