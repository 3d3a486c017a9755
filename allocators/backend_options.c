#include "backend_options.h"

#include <string.h>

int backend_options_split(const char *spec, char sep, const char *who, const char *example,
                          backend_option_fn fn, void *arg, fs_err *err) {
    if (*spec == '\0')
        return fs_errf(err, "%s options: empty; expected name%cvalue,..., e.g. %s", who, sep,
                       example);
    for (const char *p = spec; *p != '\0';) {
        size_t len = strcspn(p, ",");
        char item[256];
        if (len == 0) {
            p++;
            continue;
        }
        if (len >= sizeof item)
            return fs_errf(err, "%s option '%.40s...' is too long: expected name%cvalue, e.g. %s",
                           who, p, sep, example);
        memcpy(item, p, len);
        item[len] = '\0';
        p += len + (p[len] == ',');
        char *mark = strchr(item, sep);
        if (mark == NULL)
            return fs_errf(err, "%s option '%s' has no value: expected name%cvalue, e.g. %s", who,
                           item, sep, example);
        *mark = '\0';
        if (fn(arg, item, mark + 1, err) != 0) return -1;
    }
    return 0;
}
