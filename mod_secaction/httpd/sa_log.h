/* The module's own log tags: "SA012: …".  httpd's APLOGNO numbers ("AH…")
 * belong to httpd's registry; a tag here is unique within the module, so
 * an operator can search for it.  Glue. */
#ifndef SA_LOG_H
#define SA_LOG_H

#define SALOG(n) "SA" #n ": "

#endif
