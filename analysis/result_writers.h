/* result_writers.h: the files a run writes as it goes, one line each.
 *
 *   RESULT_WRITER(OPS)
 *
 * OPS is a result_writer_ops (analysis/results.h) defined in its own file,
 * analysis/results_NAME.c.  Adding an output file of a run is that file plus
 * one line here: the line declares OPS and puts it in the list the replay
 * writes (sim/cli/run.c), in this order.
 *
 * No include guard: it is included once to declare and once to list. */
RESULT_WRITER(results_series_csv)
RESULT_WRITER(results_summary_json)
RESULT_WRITER(results_info_txt)
RESULT_WRITER(results_summary_csv)
