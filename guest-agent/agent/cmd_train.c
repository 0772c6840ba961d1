/*
 * cmd_train.c - `aivisor-agent train`: load a CSV, hold out a test split,
 * scale on the training rows only, train, report, save.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "vgpu_client.h"

struct train_args {
	const char *data, *label, *save;
	struct eng_arch arch;
	struct eng_optimizer opt;
	struct eng_fit_config fit;
	double test_split;
	enum eng_scale_kind scale;
	double divisor;
	bool quiet;
};

enum { O_DATA, O_LABEL, O_MODEL, O_ACT, O_LOSS, O_OPT, O_LR, O_MOM, O_WD, O_BATCH,
       O_EPOCHS, O_SEED, O_VAL, O_TEST, O_SCALE, O_SAVE, O_QUIET, O_COUNT };

static int parse_args(int argc, char **argv, struct train_args *a, struct eng_err *err)
{
	struct agent_opt o[O_COUNT] = {
		[O_DATA] = { "data", NULL, false },	  [O_LABEL] = { "label", "label", false },
		[O_MODEL] = { "model", NULL, false },	  [O_ACT] = { "activation", "relu", false },
		[O_LOSS] = { "loss", "xent", false },	  [O_OPT] = { "optimizer", "sgd", false },
		[O_LR] = { "lr", "0.01", false },	  [O_MOM] = { "momentum", "0.9", false },
		[O_WD] = { "weight-decay", "0", false },  [O_BATCH] = { "batch", "32", false },
		[O_EPOCHS] = { "epochs", "10", false },	  [O_SEED] = { "seed", "42", false },
		[O_VAL] = { "val-split", "0", false },	  [O_TEST] = { "test-split", "0.2", false },
		[O_SCALE] = { "scale", "none", false },	  [O_SAVE] = { "save", NULL, false },
		[O_QUIET] = { "quiet", NULL, true },
	};
	enum eng_act act;
	enum eng_loss loss;
	enum eng_opt_kind kind;
	double lr, mom, wd;

	memset(a, 0, sizeof(*a));
	if (agent_parse_opts(argc, argv, o, O_COUNT, err) < 0)
		return -1;
	if (!o[O_DATA].value || !o[O_MODEL].value)
		return eng_errorf(err, "train needs --data CSV and --model SPEC");
	a->data = o[O_DATA].value;
	a->label = o[O_LABEL].value;
	a->save = o[O_SAVE].value;
	a->quiet = o[O_QUIET].value != NULL;
	if (eng_act_parse(o[O_ACT].value, &act, err) < 0 ||
	    eng_loss_parse(o[O_LOSS].value, &loss, err) < 0 ||
	    eng_arch_parse(o[O_MODEL].value, act, loss, &a->arch, err) < 0 ||
	    eng_optimizer_parse(o[O_OPT].value, &kind, err) < 0 ||
	    agent_double("lr", o[O_LR].value, 1e-9, 100.0, &lr, err) < 0 ||
	    agent_double("momentum", o[O_MOM].value, 0.0, 0.999, &mom, err) < 0 ||
	    agent_double("weight-decay", o[O_WD].value, 0.0, 0.5, &wd, err) < 0 ||
	    agent_u32("batch", o[O_BATCH].value, 1, 65536, &a->fit.batch, err) < 0 ||
	    agent_u32("epochs", o[O_EPOCHS].value, 1, 1000000, &a->fit.epochs, err) < 0 ||
	    agent_u64("seed", o[O_SEED].value, &a->fit.seed, err) < 0 ||
	    agent_double("val-split", o[O_VAL].value, 0.0, 0.9, &a->fit.val_split, err) < 0 ||
	    agent_double("test-split", o[O_TEST].value, 0.0, 0.9, &a->test_split, err) < 0 ||
	    eng_scale_parse(o[O_SCALE].value, &a->scale, &a->divisor, err) < 0)
		return -1;
	eng_optimizer_defaults(kind, (float)lr, &a->opt);
	a->opt.momentum = (float)mom;
	a->opt.weight_decay = (float)wd;
	return 0;
}

static void print_metrics(const char *prefix, const struct eng_metrics *m, bool classes)
{
	if (classes)
		printf("%sloss %.4f %sacc %.4f", prefix, m->loss, prefix, m->accuracy);
	else
		printf("%smse %.4f %sr2 %.4f", prefix, m->mse, prefix, m->r2);
}

static int progress(const struct eng_epoch *e, void *ctx)
{
	const struct train_args *a = ctx;
	bool classes = a->arch.loss == ENG_LOSS_XENT;

	if (a->quiet)
		return 0;
	printf("epoch %u/%u ", e->epoch, e->epochs);
	if (classes)
		printf("loss %.4f acc %.4f", e->train.loss, e->train.accuracy);
	else
		printf("loss %.4f", e->train.loss);
	if (e->has_val) {
		printf(" ");
		print_metrics("val_", &e->val, classes);
	}
	printf(" %.2f ms\n", e->ms);
	fflush(stdout);
	return 0;
}

static void print_summary(const char *what, const struct eng_metrics *m, bool classes)
{
	if (classes)
		printf("%s: loss %.4f accuracy %.4f (%zu rows)\n", what, m->loss, m->accuracy, m->n);
	else
		printf("%s: mse %.6f r2 %.6f (%zu rows)\n", what, m->mse, m->r2, m->n);
}

struct train_data {
	struct eng_dataset all, train, test;
	bool has_test;
};

static int prepare_data(const struct train_args *a, struct train_data *d,
			struct eng_scaler *sc, struct eng_err *err)
{
	memset(d, 0, sizeof(*d));
	if (agent_load_dataset(a->data, a->label, eng_arch_classes(&a->arch), "--model",
			       eng_arch_inputs(&a->arch), &d->all, err) < 0)
		return -1;
	if (!d->all.classes && eng_arch_outputs(&a->arch) != 1)
		return eng_errorf(err, "--loss mse trains one output on the label column; "
				  "the model has %u", eng_arch_outputs(&a->arch));
	if (a->test_split > 0.0) {
		if (eng_dataset_split(&d->all, a->test_split, a->fit.seed, d->all.classes > 0,
				      &d->train, &d->test, err) < 0)
			return -1;
		d->has_test = true;
	} else {
		d->train = d->all;
		memset(&d->all, 0, sizeof(d->all));
	}
	if (eng_scaler_fit(a->scale, a->divisor, &d->train, sc, err) < 0 ||
	    eng_scaler_apply(sc, &d->train, err) < 0 ||
	    (d->has_test && eng_scaler_apply(sc, &d->test, err) < 0))
		return -1;
	return 0;
}

static int train(struct train_args *a, struct train_data *d, struct eng_err *err)
{
	struct vgpu *g = NULL;
	struct eng_model *m = NULL;
	struct eng_scaler sc = { 0 };
	struct eng_metrics mt;
	bool classes = a->arch.loss == ENG_LOSS_XENT;
	size_t bytes;
	double t0;
	int rc = -1;

	if (prepare_data(a, d, &sc, err) < 0 || agent_open_vgpu(&g, err) < 0 ||
	    eng_model_create(g, &a->arch, a->fit.seed, &m, err) < 0)
		goto out;
	memcpy(eng_model_scaler(m)->offset, sc.offset, sc.d * sizeof(float));
	memcpy(eng_model_scaler(m)->mul, sc.mul, sc.d * sizeof(float));
	a->fit.progress = progress;
	a->fit.ctx = a;
	t0 = agent_now_us();
	if (eng_model_fit(m, &a->opt, &d->train, &a->fit, err) < 0)
		goto out;
	printf("trained %u epochs in %.1f ms\n", a->fit.epochs, (agent_now_us() - t0) / 1e3);
	if (eng_model_evaluate(m, &d->train, &mt, err) < 0)
		goto out;
	print_summary("train", &mt, classes);
	if (d->has_test) {
		if (eng_model_evaluate(m, &d->test, &mt, err) < 0)
			goto out;
		print_summary("test", &mt, classes);
	}
	if (a->save) {
		if (eng_model_save(m, a->save, &bytes, err) < 0)
			goto out;
		printf("saved %s (%zu bytes)\n", a->save, bytes);
	}
	rc = 0;
out:
	eng_model_free(m);
	if (g)
		vgpu_close(g);
	eng_scaler_free(&sc);
	return rc;
}

int cmd_train(int argc, char **argv)
{
	struct train_args a;
	struct train_data d;
	struct eng_err err;
	int rc;

	if (parse_args(argc, argv, &a, &err) < 0) {
		fprintf(stderr, "aivisor-agent train: %s\n", err.msg);
		return AGENT_EXIT_USAGE;
	}
	memset(&d, 0, sizeof(d));
	rc = train(&a, &d, &err);
	eng_dataset_free(&d.all);
	eng_dataset_free(&d.train);
	eng_dataset_free(&d.test);
	if (rc < 0) {
		fprintf(stderr, "aivisor-agent train: %s\n", err.msg);
		return AGENT_EXIT_FAIL;
	}
	return 0;
}
