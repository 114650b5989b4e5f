/* Fast number formatting for tables, identical to printf("%.10g"). */
#ifndef KS_IO_NUMFMT_H
#define KS_IO_NUMFMT_H

#include <stddef.h>

/* Write v as printf("%.10g") would into buf (at least 32 bytes); returns the length.
 * Non-finite values are not handled here (the caller writes "NA"). */
size_t ks_format_g10(double v, char *buf);

#endif
